-- 006: authors who asked to be forgotten (`sentiment forget --author NAME`).
-- Only the keyed hash is kept, never the name. Every later write (the row path and the bulk dump
-- path, both through store.writes.merge_incoming) stores these authors' documents as tombstones:
-- no text, title, link or author hash, only their place in the thread.
CREATE TABLE forgotten_authors (
    author_hash  VARCHAR PRIMARY KEY,
    forgotten_at TIMESTAMP NOT NULL
);
