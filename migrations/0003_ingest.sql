-- anycast-monitor schema, version 3: the ingest API's inbox (observations pushed by remote vantages) and
-- the request nonces it remembers against replays. Plain SQLite that Cloudflare D1 also accepts, like 0001_init.sql.

-- One row per observation a remote vantage pushed, kept once per natural key (a batch delivered twice,
-- or at the same time by two requests, adds nothing). The columns of `observations`, plus when it was
-- received and the start of the cycle that took it (NULL until a cycle takes it; each row is taken by
-- one cycle only, see src/app/remote-runner.ts).
CREATE TABLE ingested_observations (
  observed_at INTEGER NOT NULL,
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  address TEXT NOT NULL,
  port INTEGER NOT NULL,
  qname TEXT NOT NULL,
  transport TEXT NOT NULL,
  outcome TEXT NOT NULL,
  rcode INTEGER,
  rtt_ms REAL,
  connect_ms REAL,
  identity_source TEXT,
  identity_hex TEXT,
  identity_text TEXT,
  site TEXT,
  retried_over_tcp INTEGER NOT NULL,
  ignored_replies INTEGER NOT NULL,
  error TEXT,
  received_at INTEGER NOT NULL,
  cycle_started_at INTEGER,
  PRIMARY KEY (vantage, target, address, transport, observed_at)
) WITHOUT ROWID;
CREATE INDEX ingested_by_vantage_time ON ingested_observations (vantage, observed_at);
CREATE INDEX ingested_by_cycle ON ingested_observations (vantage, cycle_started_at, observed_at);

-- The nonce of every accepted ingest request, per vantage, until its timestamp leaves the accepted window
-- (`expires_at`, epoch ms): a request seen again before then is a replay.
CREATE TABLE ingest_nonces (
  vantage TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (vantage, nonce)
) WITHOUT ROWID;
CREATE INDEX ingest_nonces_by_expiry ON ingest_nonces (expires_at);
