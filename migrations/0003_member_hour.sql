-- A member's requests on the team's shared key in the current UTC hour (PLAUSIBLE_USER_HOURLY_LIMIT), one row.
-- `closed` keeps the shape of the guard's shared_key_hour; a member's hour is never closed by Plausible.
CREATE TABLE member_hour (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hour_start_ms INTEGER NOT NULL,
  used INTEGER NOT NULL,
  closed INTEGER NOT NULL
);
