-- Up Migration

-- E-mails waiting to be sent, queued in the transaction of the write that causes
-- them (the draw, a reminder request) and sent by a worker. They hold no token:
-- the worker mints a link token when it sends and stores only its hash below.
--
-- No foreign keys, for the reason the assignments have none: the draw inserts one
-- row per participant, and a per-row check would add to every draw. The rows are
-- written under the exchange's lock from its participants, and removing a
-- participant deletes their messages and links in the same statement.
CREATE TABLE outbox_messages (
  id              uuid PRIMARY KEY,
  exchange_id     uuid NOT NULL,
  participant_id  uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('drawn', 'reminder')),
  status          text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  created_at      timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  -- The lease of the worker sending it; an expired lease makes it claimable again.
  claimed_until   timestamptz,
  last_error      text,
  sent_at         timestamptz,
  CONSTRAINT outbox_messages_sent_at CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);

-- The claim: due pending messages, oldest first. Sent messages leave the index.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at, id) WHERE status = 'pending';
-- The queue depth on /metrics counts only what is not sent.
CREATE INDEX outbox_messages_unsent ON outbox_messages (status) WHERE status <> 'sent';
-- A participant's messages: the reminder window, and removing a participant.
CREATE INDEX outbox_messages_participant ON outbox_messages (exchange_id, participant_id, created_at);

-- Link tokens sent by e-mail, by hash: a participant's credentials next to
-- participants.token_hash, looked up only when that misses.
CREATE TABLE participant_links (
  token_hash     text COLLATE "C" PRIMARY KEY,
  exchange_id    uuid NOT NULL,
  participant_id uuid NOT NULL,
  message_id     uuid NOT NULL,
  created_at     timestamptz NOT NULL
);

CREATE INDEX participant_links_participant ON participant_links (exchange_id, participant_id);

-- Down Migration

DROP TABLE participant_links;
DROP TABLE outbox_messages;
