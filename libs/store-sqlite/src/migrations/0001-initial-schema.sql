-- The initial schema. STRICT tables refuse values of the wrong type instead of
-- storing them; every lookup the store makes has an index (see the README).

CREATE TABLE exchanges (
  id                   TEXT    NOT NULL PRIMARY KEY,
  name                 TEXT    NOT NULL,
  budget_amount        REAL,
  budget_currency      TEXT,
  exchange_date        TEXT,
  single_cycle         INTEGER NOT NULL CHECK (single_cycle IN (0, 1)),
  status               TEXT    NOT NULL CHECK (status IN ('open', 'drawn')),
  created_at           TEXT    NOT NULL,
  drawn_at             TEXT,
  organizer_token_hash TEXT    NOT NULL,
  invite_code_hash     TEXT    NOT NULL,
  -- Kept up to date by the store in the transaction of every write that changes
  -- them, so the dashboard read is one row and never a count.
  participant_count    INTEGER NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
  wishlist_count       INTEGER NOT NULL DEFAULT 0 CHECK (wishlist_count >= 0),
  exclusion_count      INTEGER NOT NULL DEFAULT 0 CHECK (exclusion_count >= 0),
  CHECK ((budget_amount IS NULL) = (budget_currency IS NULL)),
  CHECK ((status = 'drawn') = (drawn_at IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX exchanges_by_organizer_token ON exchanges (organizer_token_hash);

CREATE TABLE participants (
  id          TEXT NOT NULL PRIMARY KEY,
  exchange_id TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL,
  -- normalizeEmail(email) from the domain: SQLite's lower() folds ASCII only, and
  -- uniqueness must mean exactly what it means in every other stage.
  email_key   TEXT NOT NULL,
  wishlist    TEXT NOT NULL,
  joined_at   TEXT NOT NULL,
  token_hash  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX participants_by_token ON participants (token_hash);
-- Paging in join order, the draw's input order, and the foreign key's child index.
CREATE INDEX participants_by_join_order ON participants (exchange_id, joined_at, id);
CREATE UNIQUE INDEX participants_email_per_exchange ON participants (exchange_id, email_key);

CREATE TABLE exclusions (
  exchange_id TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  giver_id    TEXT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
  receiver_id TEXT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
  CHECK (giver_id <> receiver_id)
) STRICT;

-- Listed by exchange in rowid order, which is the order they were given in.
CREATE INDEX exclusions_by_exchange ON exclusions (exchange_id);
CREATE UNIQUE INDEX exclusions_by_giver ON exclusions (giver_id, receiver_id);
CREATE INDEX exclusions_by_receiver ON exclusions (receiver_id);

-- No cascade from participants: a participant who is part of a draw cannot be
-- deleted out from under it. Deleting a whole exchange still removes everything.
CREATE TABLE assignments (
  giver_id    TEXT NOT NULL PRIMARY KEY REFERENCES participants (id),
  receiver_id TEXT NOT NULL REFERENCES participants (id),
  exchange_id TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Everybody receives exactly once.
CREATE UNIQUE INDEX assignments_by_receiver ON assignments (receiver_id);
CREATE INDEX assignments_by_exchange ON assignments (exchange_id);

CREATE TABLE idempotency_records (
  key_hash     TEXT    NOT NULL PRIMARY KEY,
  request_hash TEXT    NOT NULL,
  status       INTEGER NOT NULL,
  sealed_body  TEXT    NOT NULL,
  created_at   TEXT    NOT NULL
) STRICT;

CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
