-- 003: tables the trends step fills (sentiment.trends.refresh_trends), all rebuilt on each refresh.

-- Per day, source and predicted label: counts and the moments of the probability rows (sums
-- and sums of pairwise products), rebuilt by the trends step. Every trend view reads this small
-- table instead of scanning documents, so it stays fast at millions of comments.
CREATE TABLE stance_day_counts (
    day           DATE NOT NULL,
    source        VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    n             BIGINT NOT NULL,
    sum_confidence DOUBLE NOT NULL,
    s_concern               DOUBLE NOT NULL,
    s_skepticism            DOUBLE NOT NULL,
    s_support               DOUBLE NOT NULL,
    s_neutral               DOUBLE NOT NULL,
    q_concern_concern        DOUBLE NOT NULL,
    q_concern_skepticism     DOUBLE NOT NULL,
    q_concern_support        DOUBLE NOT NULL,
    q_concern_neutral        DOUBLE NOT NULL,
    q_skepticism_skepticism     DOUBLE NOT NULL,
    q_skepticism_support        DOUBLE NOT NULL,
    q_skepticism_neutral        DOUBLE NOT NULL,
    q_support_support        DOUBLE NOT NULL,
    q_support_neutral        DOUBLE NOT NULL,
    q_neutral_neutral        DOUBLE NOT NULL,
    model_version VARCHAR,
    refreshed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (day, source, label)
);

-- Per event, source and label: the before (-7..-1) → after (0..+6) move in share.
-- method 'raw': hard-label shares, Newcombe hybrid score interval, two-proportion z-test p-value;
-- 'prob', 'acc', 'pacc': probability-weighted and error-corrected shares, bootstrap interval.
CREATE TABLE event_effects (
    event_id      VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,          -- a source, or 'all'
    label         VARCHAR NOT NULL,
    method        VARCHAR NOT NULL,          -- raw, prob, acc, pacc
    n_before      BIGINT NOT NULL,
    n_after       BIGINT NOT NULL,
    share_before  DOUBLE,
    share_after   DOUBLE,
    diff          DOUBLE,                    -- share_after - share_before
    diff_low      DOUBLE,                    -- 95% interval of diff
    diff_high     DOUBLE,
    p_value       DOUBLE,                    -- raw only
    too_small     BOOLEAN NOT NULL,          -- a window under min_window_n: not a finding
    model_version VARCHAR,
    refreshed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, source, label, method)
);

-- Per event window, source and label: shares by each method with 95% intervals.
CREATE TABLE adjusted_shares (
    event_id      VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    "window"      VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    method        VARCHAR NOT NULL,          -- raw (Wilson), prob, acc, pacc (bootstrap)
    n             BIGINT NOT NULL,           -- documents in the window
    share         DOUBLE,
    ci_low        DOUBLE,
    ci_high       DOUBLE,
    too_small     BOOLEAN NOT NULL,
    model_version VARCHAR,
    refreshed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, source, "window", label, method)
);

-- Days whose volume or concern/skepticism share left the rolling baseline.
CREATE TABLE spikes (
    day           DATE NOT NULL,
    source        VARCHAR NOT NULL,          -- a source, or 'all'
    metric        VARCHAR NOT NULL,          -- volume, concern_share, skepticism_share
    value         DOUBLE NOT NULL,           -- documents, or the share that day
    baseline      DOUBLE NOT NULL,           -- mean volume, or pooled share, of the baseline days
    z             DOUBLE NOT NULL,
    n             BIGINT NOT NULL,           -- documents that day
    n_baseline    BIGINT NOT NULL,           -- documents in the baseline days
    reason        VARCHAR NOT NULL,          -- the rule and the figures, in words
    model_version VARCHAR,
    refreshed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (day, source, metric)
);

-- Representative quotes per event window and stance: confident and diverse (MMR), best first.
CREATE TABLE event_quotes (
    event_id      VARCHAR NOT NULL,
    "window"      VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    rank          INTEGER NOT NULL,
    doc_id        VARCHAR NOT NULL,
    confidence    DOUBLE NOT NULL,
    source        VARCHAR NOT NULL,
    created_at    TIMESTAMP,
    text          VARCHAR NOT NULL,          -- as of the refresh (untrusted: escape when showing)
    url           VARCHAR,                   -- the comment's link, else its thread's
    thread_title  VARCHAR,
    model_version VARCHAR,
    refreshed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, "window", label, rank)
);

-- Per thread and predicted label: how many community documents, with the thread's title and link
-- (for "where is the conversation happening?" without scanning every document).
CREATE TABLE thread_stance_counts (
    source        VARCHAR NOT NULL,
    thread_id     VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    n             BIGINT NOT NULL,
    first_seen    TIMESTAMP,
    last_seen     TIMESTAMP,
    thread_title  VARCHAR,
    url           VARCHAR,
    model_version VARCHAR,
    refreshed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (source, thread_id, label)
);
