-- 009: the failure policy of pages and feeds (README, Guarantees: "Pages and feeds that fail").

-- A failure repeating will not fix (HTTP 404/410 and other 4xx, an empty page, a body that is not a
-- feed) as opposed to a transient one (5xx, 429, a timeout, a broken connection).
ALTER TABLE collect_failures ADD COLUMN permanent BOOLEAN;
-- Not retried by a run of its source before this time (UTC); NULL: the next run retries it (every
-- source but pages and feeds). Doubles with each failed attempt, up to a day by default.
ALTER TABLE collect_failures ADD COLUMN next_attempt_at TIMESTAMP;
-- Set when a permanent failure has failed its last attempt: no run retries it unless asked for
-- it by name or with `--retry-given-up`; `sentiment doctor` lists it.
ALTER TABLE collect_failures ADD COLUMN given_up_at TIMESTAMP;
-- JSON: what a retry needs beyond the item; for a feed entry's page, its feed and the entry's
-- title and date (so a retried entry keeps the feed's date).
ALTER TABLE collect_failures ADD COLUMN context VARCHAR;
