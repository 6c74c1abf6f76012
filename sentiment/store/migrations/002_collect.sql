-- 002: state the collectors keep between runs.

-- How far a listing has been read: the newest item seen per source and scope
-- (e.g. reddit 'r/LocalLLaMA?q=qwen', hn 'qwen'), so a re-run asks only for what is newer.
CREATE TABLE collect_watermarks (
    source     VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    watermark  TIMESTAMP NOT NULL,          -- created_at (UTC) of the newest item read
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, scope)
);

-- Items (threads, stories, URLs) a run could not fetch; the next run of that source retries them
-- and deletes the row once the item is stored.
CREATE TABLE collect_failures (
    source          VARCHAR NOT NULL,
    item            VARCHAR NOT NULL,       -- thread id, story id or URL
    reason          VARCHAR NOT NULL,
    attempts        INTEGER NOT NULL,
    first_failed_at TIMESTAMP NOT NULL,
    last_failed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (source, item)
);
