-- The shared key's calls in the current UTC hour, and whether a Plausible 429 closed it (one row).
-- IF NOT EXISTS: guards created before this file was a migration made the same table themselves.
CREATE TABLE IF NOT EXISTS shared_key_hour (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hour_start_ms INTEGER NOT NULL,
  used INTEGER NOT NULL,
  closed INTEGER NOT NULL
);
