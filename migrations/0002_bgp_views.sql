-- anycast-monitor schema, version 2: the latest BGP view of each target, for the status page and the
-- API. Plain SQLite that Cloudflare D1 also accepts, like 0001_init.sql.

-- One row per target with a `bgp` entry; `view` is the StoredBgpView as JSON (src/core/bgp/source-view.ts),
-- `checked_at` its checkedAt (the cycle's startedAt, epoch ms): a save never replaces a later check.
CREATE TABLE bgp_views (
  target TEXT PRIMARY KEY,
  checked_at INTEGER NOT NULL,
  view TEXT NOT NULL
);
