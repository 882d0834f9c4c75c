-- Up Migration

-- Secret Santa exchanges. The counts are kept here, updated in the transaction of
-- every write that changes them, so the dashboard and `GET /me` never count rows.
CREATE TABLE exchanges (
  id                   uuid PRIMARY KEY,
  name                 text NOT NULL,
  -- The domain allows 0 to 1,000,000 with at most two decimals.
  budget_amount        numeric(9, 2) CHECK (budget_amount BETWEEN 0 AND 1000000),
  budget_currency      text CHECK (budget_currency ~ '^[A-Z]{3}$'),
  exchange_date        date,
  single_cycle         boolean NOT NULL,
  status               text NOT NULL CHECK (status IN ('open', 'drawn')),
  created_at           timestamptz NOT NULL,
  drawn_at             timestamptz,
  -- Hashes are compared byte for byte: the "C" collation skips locale rules.
  organizer_token_hash text COLLATE "C" NOT NULL,
  invite_code_hash     text COLLATE "C" NOT NULL,
  participant_count    integer NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
  wishlist_count       integer NOT NULL DEFAULT 0 CHECK (wishlist_count BETWEEN 0 AND participant_count),
  exclusion_count      integer NOT NULL DEFAULT 0 CHECK (exclusion_count >= 0),
  CONSTRAINT exchanges_budget_complete CHECK ((budget_amount IS NULL) = (budget_currency IS NULL)),
  CONSTRAINT exchanges_drawn_at CHECK ((status = 'drawn') = (drawn_at IS NOT NULL))
);

-- The organizer's dashboard read.
CREATE UNIQUE INDEX exchanges_organizer_token_hash ON exchanges (organizer_token_hash);

-- The primary key is (exchange_id, id) so that an exclusion can reference a
-- participant *of its own exchange*: the database itself refuses one that crosses
-- exchanges.
--
-- exchange_id has no foreign key: every insert runs under the exchange row's lock
-- (SELECT ... FOR UPDATE), which already proves the exchange exists, and exchanges
-- are never deleted. A foreign key would add a per-row check to the bulk path, about
-- a third of the time of inserting 10,000 participants.
CREATE TABLE participants (
  exchange_id uuid NOT NULL,
  id          uuid NOT NULL,
  name        text NOT NULL,
  email       text NOT NULL,
  -- normalizeEmail(email) as the domain computes it, so that the database and the
  -- domain agree on what a duplicate is whatever the server's locale.
  email_key   text COLLATE "C" NOT NULL,
  wishlist    text NOT NULL,
  joined_at   timestamptz NOT NULL,
  token_hash  text COLLATE "C" NOT NULL,
  PRIMARY KEY (exchange_id, id)
);

-- `GET /me` and wishlist updates find the participant by the hash of their token.
CREATE UNIQUE INDEX participants_token_hash ON participants (token_hash);
-- E-mail addresses are unique per exchange regardless of case.
CREATE UNIQUE INDEX participants_email_key ON participants (exchange_id, email_key);
-- The participant list pages through this index in (joined_at, id) order.
CREATE INDEX participants_join_order ON participants (exchange_id, joined_at, id);

CREATE TABLE exclusions (
  exchange_id uuid NOT NULL,
  giver_id    uuid NOT NULL,
  receiver_id uuid NOT NULL,
  -- The position in the set as it was last replaced: lists come back in that order.
  ordinal     integer NOT NULL,
  -- Also the index of the exclusions of one exchange (its leading column).
  PRIMARY KEY (exchange_id, giver_id, receiver_id),
  FOREIGN KEY (exchange_id, giver_id) REFERENCES participants (exchange_id, id),
  FOREIGN KEY (exchange_id, receiver_id) REFERENCES participants (exchange_id, id),
  CHECK (giver_id <> receiver_id)
);

-- Who gives to whom, written once by the draw. No foreign keys: their per-row
-- checks were two thirds of the time of storing a draw of 10,000. Instead the draw's
-- INSERT joins every pair to the participants of the exchange and the store checks
-- that every pair was stored; after the draw, no participant can be removed.
CREATE TABLE assignments (
  exchange_id uuid NOT NULL,
  giver_id    uuid NOT NULL,
  receiver_id uuid NOT NULL,
  -- Everybody gives once; `GET /me` finds the giftee of a giver through this key.
  PRIMARY KEY (exchange_id, giver_id),
  -- Everybody receives once.
  UNIQUE (exchange_id, receiver_id),
  CHECK (giver_id <> receiver_id)
);

-- Responses to POSTs that carried an Idempotency-Key, written in the transaction of
-- the write they answer.
CREATE TABLE idempotency_records (
  key_hash     text COLLATE "C" PRIMARY KEY,
  request_hash text NOT NULL,
  status       smallint NOT NULL,
  sealed_body  text NOT NULL,
  created_at   timestamptz NOT NULL
);

-- The purge of expired records.
CREATE INDEX idempotency_records_created_at ON idempotency_records (created_at);

-- Down Migration

DROP TABLE idempotency_records;
DROP TABLE assignments;
DROP TABLE exclusions;
DROP TABLE participants;
DROP TABLE exchanges;
