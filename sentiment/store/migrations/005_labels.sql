-- A user's own stance labels (from `sentiment label` or an imported JSONL file).
-- The text is kept with the label so labels can be exported, re-imported and trained on
-- even after the document is gone from this database.
CREATE TABLE labels (
    id           VARCHAR PRIMARY KEY,
    text         VARCHAR NOT NULL,
    thread_title VARCHAR,
    label        VARCHAR NOT NULL CHECK (label IN ('concern', 'skepticism', 'support', 'neutral')),
    source       VARCHAR NOT NULL DEFAULT 'user',
    labelled_at  TIMESTAMP NOT NULL
);
