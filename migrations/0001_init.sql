-- Per-user / per-key usage state: the token bucket and the Plausible result cache.
CREATE TABLE token_bucket (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  tokens REAL NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE result_cache (
  cache_key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX result_cache_by_age ON result_cache (stored_ms);

CREATE TABLE agent_activity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_call_ms INTEGER NOT NULL
);
