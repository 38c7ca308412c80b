-- The cache's expiries with each entry's size: removing expired answers, finding the next expiry and counting the
-- totals read this index instead of every row, whose columns after `body` sit behind the body's overflow pages.
CREATE INDEX result_cache_by_expiry ON result_cache (expires_ms, bytes);
