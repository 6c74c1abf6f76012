-- 001: the public tables. Times are UTC, stored as TIMESTAMP without time zone.

CREATE TABLE documents (
    doc_id       VARCHAR PRIMARY KEY,      -- '<source>:<external_id>'
    source       VARCHAR NOT NULL,         -- reddit, hn, web, file, ...
    kind         VARCHAR NOT NULL CHECK (kind IN ('article', 'post', 'comment', 'quote')),
    external_id  VARCHAR NOT NULL,         -- the id the source uses (t1_abc, 47123456, file stem)
    thread_id    VARCHAR,                  -- doc_id of the thread root (post, story, article)
    parent_id    VARCHAR,                  -- doc_id of the parent document
    created_at   TIMESTAMP,
    author_hash  VARCHAR,                  -- HMAC of the user name; the key lives outside the DB
    title        VARCHAR,
    text         VARCHAR NOT NULL,
    url          VARCHAR,
    fetched_at   TIMESTAMP NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT false,  -- [deleted]/[removed]: kept for the tree, not classified
    content_hash VARCHAR,                  -- hash of the normalised text (detects edits)
    dedupe_key   VARCHAR,                  -- same text, author and thread = exact duplicate
    UNIQUE (source, external_id)
);

CREATE TABLE stances (
    doc_id        VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    label         VARCHAR NOT NULL CHECK (label IN ('concern', 'skepticism', 'support', 'neutral')),
    confidence    DOUBLE NOT NULL,
    p_concern     DOUBLE NOT NULL,
    p_skepticism  DOUBLE NOT NULL,
    p_support     DOUBLE NOT NULL,
    p_neutral     DOUBLE NOT NULL,
    classified_at TIMESTAMP NOT NULL,
    PRIMARY KEY (doc_id, model_version)
);

CREATE TABLE events (
    event_id    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    occurred_at DATE NOT NULL,
    description VARCHAR,
    keywords    VARCHAR[]
);

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    step        VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,          -- running, ok, failed
    n_in        BIGINT,
    n_new       BIGINT,
    n_updated   BIGINT,
    n_skipped   BIGINT,
    notes       VARCHAR                    -- JSON: skip reasons with counts, errors
);

-- Key/value facts about the database, e.g. which model_version the views report.
CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- Filled by the trends step: before (-7..-1 days) vs after (0..+6 days) each event.
CREATE TABLE event_shift (
    event_id          VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,    -- a source, or 'all'
    n_before          BIGINT NOT NULL,
    n_after           BIGINT NOT NULL,
    test              VARCHAR,             -- chi-square (4 labels x before/after)
    statistic         DOUBLE,
    dof               INTEGER,
    p_value           DOUBLE,
    small_sample      BOOLEAN NOT NULL,    -- a window under the minimum or expected counts < 5
    concern_before    DOUBLE, concern_after    DOUBLE,
    skepticism_before DOUBLE, skepticism_after DOUBLE,
    support_before    DOUBLE, support_after    DOUBLE,
    neutral_before    DOUBLE, neutral_after    DOUBLE,
    largest_change_label VARCHAR,          -- the label whose share moved most
    largest_change_pp    DOUBLE,           -- by how many percentage points (after - before)
    model_version     VARCHAR,
    refreshed_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, source)
);
