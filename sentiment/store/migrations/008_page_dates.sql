-- 008: where an article's date came from, its language, and the addresses that led to it.

-- created_at's origin for articles and the quotes and comments taken from them: 'feed' (the feed
-- entry's own date), 'meta' (the page's metadata or articles.yaml), 'text' (guessed from the
-- address or the opening text, only when nothing states a date), 'none' (undated). NULL for
-- documents from APIs (Reddit, Hacker News, dumps) and for rows stored before this migration.
ALTER TABLE documents ADD COLUMN date_source VARCHAR;
-- The primary language subtag a page declares ('de', 'en'), when it declares one.
ALTER TABLE documents ADD COLUMN language VARCHAR;

-- Addresses (canonical form) that led to a stored document other than its own canonical URL: a
-- feed's tracking link, a redirect, a syndicated copy. `collect feeds` does not fetch them again.
CREATE TABLE document_aliases (
    url        VARCHAR PRIMARY KEY,
    doc_id     VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
