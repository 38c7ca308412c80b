-- One store per scope (the team on /internal, each API key elsewhere), plus one index of the scopes.
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL,
  kinds TEXT NOT NULL,
  format TEXT NOT NULL,
  webhook_sealed TEXT NOT NULL,
  destination TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  created_by_email TEXT,
  created_by_sub TEXT,
  failures_in_a_row INTEGER NOT NULL DEFAULT 0,
  paused_ms INTEGER,
  last_digest_week TEXT,
  last_alert_date TEXT
);
-- The anomalies an alert already reported, so the same one is not sent twice.
CREATE TABLE sent_alerts (
  subscription_id TEXT NOT NULL,
  anomaly TEXT NOT NULL,
  sent_ms INTEGER NOT NULL,
  PRIMARY KEY (subscription_id, anomaly)
);
-- Every delivery: what was sent, how it ended and after how many tries.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  subscription_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  detail TEXT
);
-- A key scope's Plausible key, sealed, for scheduled runs.
CREATE TABLE scope_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  sealed TEXT NOT NULL
);
-- Only in the index store: the scopes that have subscriptions.
CREATE TABLE scopes (
  name TEXT PRIMARY KEY
);
