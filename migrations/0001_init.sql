-- anycast-monitor schema, version 1. Plain SQLite that Cloudflare D1 also accepts: no PRAGMA, no
-- triggers, no explicit transactions. Times are INTEGER epoch ms, documents are TEXT JSON, and the
-- empty string stands for "no site" wherever a site is part of a key (NULLs are distinct in keys).

-- One row per probe cycle of one target. Observations point at `id`; `cycle_id` makes writes idempotent.
CREATE TABLE cycles (
  id INTEGER PRIMARY KEY,
  cycle_id TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  -- JSON [{ "vantage": ..., "reason": ... }]
  missing_vantages TEXT NOT NULL
);
CREATE INDEX cycles_by_target_time ON cycles (target, started_at);
CREATE INDEX cycles_by_time ON cycles (started_at);

-- Every field of an Observation; the identity in three columns; cycle_ref = cycles.id.
CREATE TABLE observations (
  id INTEGER PRIMARY KEY,
  cycle_ref INTEGER NOT NULL,
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
  error TEXT
);
CREATE INDEX observations_by_target_time ON observations (target, observed_at);
CREATE INDEX observations_by_cycle ON observations (cycle_ref);

-- The latest known site of each (target, vantage), and since when; '' = no answer.
CREATE TABLE catchment_current (
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  site TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (target, vantage)
) WITHOUT ROWID;

-- A vantage's site changed between two cycles of a target (at = the later cycle's start); '' = no answer.
CREATE TABLE catchment_changes (
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  at INTEGER NOT NULL,
  from_site TEXT NOT NULL,
  to_site TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  PRIMARY KEY (target, at, vantage)
) WITHOUT ROWID;

-- Rollups per (target, bucket, vantage, site), maintained at write time. rtt_* cover the successes;
-- rtt_histogram is a JSON object { "bin": count } of log-spaced bins (src/adapters/store/rtt-histogram.ts).
CREATE TABLE rollups_hourly (
  target TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  vantage TEXT NOT NULL,
  site TEXT NOT NULL,
  count INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  rtt_count INTEGER NOT NULL,
  rtt_min_ms REAL,
  rtt_max_ms REAL,
  rtt_histogram TEXT NOT NULL,
  PRIMARY KEY (target, bucket_start, vantage, site)
) WITHOUT ROWID;

CREATE TABLE rollups_daily (
  target TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  vantage TEXT NOT NULL,
  site TEXT NOT NULL,
  count INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  rtt_count INTEGER NOT NULL,
  rtt_min_ms REAL,
  rtt_max_ms REAL,
  rtt_histogram TEXT NOT NULL,
  PRIMARY KEY (target, bucket_start, vantage, site)
) WITHOUT ROWID;

-- The incident policy's state per target; `version` is the compare-and-set token (first save = 1).
CREATE TABLE policy_state (
  target TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per opening of an incident; `incident` is the whole Incident as JSON.
CREATE TABLE incidents (
  incident_key TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  resolved_at INTEGER,
  incident TEXT NOT NULL,
  PRIMARY KEY (incident_key, opened_at)
);
CREATE INDEX incidents_by_status ON incidents (status, opened_at);
CREATE INDEX incidents_by_target ON incidents (target, opened_at);

-- The alert outbox: one row per (notification, route). `seq` keeps insertion order.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  route TEXT NOT NULL,
  notification_id TEXT NOT NULL,
  incident_key TEXT NOT NULL,
  event TEXT NOT NULL,
  -- notification.at
  at INTEGER NOT NULL,
  notification TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  -- what the sink said on delivery
  detail TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
