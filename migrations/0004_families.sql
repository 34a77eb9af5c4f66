-- anycast-monitor schema, version 4: catchment and rollups per address family. IPv4 and IPv6 are routed
-- apart (their own BGP sessions and best paths), so a vantage's catchment and RTT are kept per
-- (vantage, family): 'ipv4' or 'ipv6', the family of the address asked. Plain SQLite that Cloudflare D1
-- also accepts, like 0001_init.sql: SQLite cannot change a primary key, so each table is rebuilt
-- (create the new one, copy, drop the old, rename).
--
-- What becomes of the rows kept before: they merged the families, and which family they stood for is
-- not recorded. A catchment row (current site, or a change) is kept under each family that the vantage's
-- stored observations of the target asked (under 'ipv4' when none are left): for a vantage that asked
-- one family that is exact; for one that asked both, the merged site stands for each family until the
-- first cycle after this migration records the family's own. Rollups cannot be split after the fact:
-- old buckets keep their counts with family '' (read back as null, "both families").

-- (target, vantage, family) of every stored observation: the families each vantage asked.
CREATE TABLE families_seen_0004 (
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  family TEXT NOT NULL,
  PRIMARY KEY (target, vantage, family)
) WITHOUT ROWID;
INSERT INTO families_seen_0004 (target, vantage, family)
  SELECT DISTINCT target, vantage, CASE WHEN instr(address, ':') > 0 THEN 'ipv6' ELSE 'ipv4' END FROM observations;

-- The latest known site of each (target, vantage, family), and since when; '' = no answer.
-- transport_sites: '' when the transports agreed in the latest cycle with this family, otherwise a JSON
-- object { "tcp": site, "udp": site } (null = no answer).
CREATE TABLE catchment_current_0004 (
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  family TEXT NOT NULL,
  site TEXT NOT NULL,
  since INTEGER NOT NULL,
  transport_sites TEXT NOT NULL,
  PRIMARY KEY (target, vantage, family)
) WITHOUT ROWID;
INSERT INTO catchment_current_0004 (target, vantage, family, site, since, transport_sites)
  SELECT c.target, c.vantage, coalesce(f.family, 'ipv4'), c.site, c.since, ''
  FROM catchment_current AS c LEFT JOIN families_seen_0004 AS f ON f.target = c.target AND f.vantage = c.vantage;
DROP TABLE catchment_current;
ALTER TABLE catchment_current_0004 RENAME TO catchment_current;

-- A (vantage, family)'s site changed between two cycles of a target (at = the later cycle's start); '' = no answer.
CREATE TABLE catchment_changes_0004 (
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  family TEXT NOT NULL,
  at INTEGER NOT NULL,
  from_site TEXT NOT NULL,
  to_site TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  PRIMARY KEY (target, at, vantage, family)
) WITHOUT ROWID;
INSERT INTO catchment_changes_0004 (target, vantage, family, at, from_site, to_site, cycle_id)
  SELECT c.target, c.vantage, coalesce(f.family, 'ipv4'), c.at, c.from_site, c.to_site, c.cycle_id
  FROM catchment_changes AS c LEFT JOIN families_seen_0004 AS f ON f.target = c.target AND f.vantage = c.vantage;
DROP TABLE catchment_changes;
ALTER TABLE catchment_changes_0004 RENAME TO catchment_changes;

DROP TABLE families_seen_0004;

-- Rollups per (target, bucket, vantage, family, site); family '' = rolled up before this migration.
CREATE TABLE rollups_hourly_0004 (
  target TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  vantage TEXT NOT NULL,
  family TEXT NOT NULL,
  site TEXT NOT NULL,
  count INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  rtt_count INTEGER NOT NULL,
  rtt_min_ms REAL,
  rtt_max_ms REAL,
  rtt_histogram TEXT NOT NULL,
  PRIMARY KEY (target, bucket_start, vantage, family, site)
) WITHOUT ROWID;
INSERT INTO rollups_hourly_0004 (target, bucket_start, vantage, family, site, count, successes, rtt_count, rtt_min_ms, rtt_max_ms, rtt_histogram)
  SELECT target, bucket_start, vantage, '', site, count, successes, rtt_count, rtt_min_ms, rtt_max_ms, rtt_histogram FROM rollups_hourly;
DROP TABLE rollups_hourly;
ALTER TABLE rollups_hourly_0004 RENAME TO rollups_hourly;

CREATE TABLE rollups_daily_0004 (
  target TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  vantage TEXT NOT NULL,
  family TEXT NOT NULL,
  site TEXT NOT NULL,
  count INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  rtt_count INTEGER NOT NULL,
  rtt_min_ms REAL,
  rtt_max_ms REAL,
  rtt_histogram TEXT NOT NULL,
  PRIMARY KEY (target, bucket_start, vantage, family, site)
) WITHOUT ROWID;
INSERT INTO rollups_daily_0004 (target, bucket_start, vantage, family, site, count, successes, rtt_count, rtt_min_ms, rtt_max_ms, rtt_histogram)
  SELECT target, bucket_start, vantage, '', site, count, successes, rtt_count, rtt_min_ms, rtt_max_ms, rtt_histogram FROM rollups_daily;
DROP TABLE rollups_daily;
ALTER TABLE rollups_daily_0004 RENAME TO rollups_daily;
