-- The e-mail outbox: messages queued in the transaction of the write that causes
-- them (the draw, a reminder request) and sent by a worker, and the link tokens the
-- worker mints for them, stored by hash. Messages hold no token.
--
-- Removing a participant removes their messages and links through the foreign
-- keys' cascades, in the transaction of the removal.

CREATE TABLE outbox_messages (
  id              TEXT    NOT NULL PRIMARY KEY,
  exchange_id     TEXT    NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  participant_id  TEXT    NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
  kind            TEXT    NOT NULL CHECK (kind IN ('drawn', 'reminder')),
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  created_at      TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at TEXT    NOT NULL,
  -- The lease of the worker sending it; an expired lease makes it claimable again.
  claimed_until   TEXT,
  last_error      TEXT,
  sent_at         TEXT,
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
) STRICT;

-- The claim: due pending messages, oldest first. Sent messages leave the index.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at, id) WHERE status = 'pending';
-- The queue depth on /metrics counts only what is not sent.
CREATE INDEX outbox_messages_unsent ON outbox_messages (status) WHERE status <> 'sent';
-- A participant's messages: the reminder window, and the cascade from participants.
CREATE INDEX outbox_messages_by_participant ON outbox_messages (participant_id, created_at);
CREATE INDEX outbox_messages_by_exchange ON outbox_messages (exchange_id);

-- Link tokens sent by e-mail: a participant's credentials next to
-- participants.token_hash, looked up only when that misses.
CREATE TABLE participant_links (
  token_hash     TEXT NOT NULL PRIMARY KEY,
  exchange_id    TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  participant_id TEXT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
  message_id     TEXT NOT NULL REFERENCES outbox_messages (id) ON DELETE CASCADE,
  created_at     TEXT NOT NULL
) STRICT;

CREATE INDEX participant_links_by_participant ON participant_links (participant_id);
CREATE INDEX participant_links_by_message ON participant_links (message_id);
CREATE INDEX participant_links_by_exchange ON participant_links (exchange_id);
