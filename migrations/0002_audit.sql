-- Who used the shared Plausible key, for the operator's audit trail (/internal only).
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  user_email TEXT NOT NULL,
  tool TEXT NOT NULL,
  site_id TEXT,
  query_hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at_ms);
