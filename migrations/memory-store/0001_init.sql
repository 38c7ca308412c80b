-- What one scope (the team on /internal, or one API key) has told the server about its sites.
-- An identical annotation (same site, moment, text and kind) is stored once: adding it again returns it.
CREATE TABLE annotations (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL,
  at TEXT NOT NULL,
  day TEXT NOT NULL,
  text TEXT NOT NULL,
  kind TEXT NOT NULL,
  author TEXT,
  created_ms INTEGER NOT NULL,
  UNIQUE (site_id, at, text, kind)
);
CREATE INDEX annotations_by_day ON annotations (site_id, day);

CREATE TABLE targets (
  site_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  period TEXT NOT NULL,
  value REAL NOT NULL,
  set_by TEXT,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (site_id, metric, period)
);

CREATE TABLE site_context (
  site_id TEXT PRIMARY KEY,
  text TEXT NOT NULL,
  set_by TEXT,
  updated_ms INTEGER NOT NULL
);
