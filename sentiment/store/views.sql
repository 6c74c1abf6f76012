-- The public views, recreated on every read-write open. Users query them by name.

-- Wilson score interval for k successes in n trials, 95% (z = 1.959963984540054).
-- sentiment.trends.wilson() is the same formula in Python; a test keeps them equal.
CREATE OR REPLACE MACRO wilson_low(k, n) AS CASE WHEN n > 0 THEN greatest(0.0,
    ((k / n) + 3.841458820694124 / (2 * n)
      - 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n + 3.841458820694124 / (4 * n * n)))
    / (1 + 3.841458820694124 / n)) END;
CREATE OR REPLACE MACRO wilson_high(k, n) AS CASE WHEN n > 0 THEN least(1.0,
    ((k / n) + 3.841458820694124 / (2 * n)
      + 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n + 3.841458820694124 / (4 * n * n)))
    / (1 + 3.841458820694124 / n)) END;

CREATE OR REPLACE VIEW stance_labels AS
SELECT * FROM (VALUES (1, 'concern'), (2, 'skepticism'), (3, 'support'), (4, 'neutral'))
    AS t(label_order, label);

-- Stances of the model the database currently reports (set by the classify step).
CREATE OR REPLACE VIEW current_stances AS
SELECT s.*
FROM stances s
WHERE s.model_version = (SELECT value FROM meta WHERE key = 'active_model_version');

-- Community documents (posts, comments, quotes) with their current stance.
CREATE OR REPLACE VIEW classified_documents AS
SELECT d.doc_id, d.source, d.kind, d.thread_id, d.parent_id, d.created_at,
       CAST(d.created_at AS DATE) AS day,
       coalesce(d.title, t.title) AS thread_title,
       d.text, coalesce(d.url, t.url) AS url,
       s.label, s.confidence, s.p_concern, s.p_skepticism, s.p_support, s.p_neutral,
       s.model_version
FROM documents d
JOIN current_stances s ON s.doc_id = d.doc_id
LEFT JOIN documents t ON t.doc_id = d.thread_id
WHERE d.kind IN ('post', 'comment', 'quote') AND NOT d.deleted AND d.created_at IS NOT NULL;

-- Daily stance counts and shares per source (share within day and source), as of the last
-- trends refresh (stance_day_counts).
CREATE OR REPLACE VIEW stance_daily AS
SELECT day, source, label, n, n / sum(n) OVER (PARTITION BY day, source) AS share
FROM stance_day_counts;

-- Windows in days relative to an event's date.
CREATE OR REPLACE VIEW event_window_bounds AS
SELECT * FROM (VALUES (1, '-14..-8', -14, -8), (2, '-7..-1', -7, -1),
                      (3, '0..+6', 0, 6), (4, '+7..+13', 7, 13))
    AS t(window_order, "window", day_from, day_to);

-- Stance shares before and after each event, per source and over all sources ('all'),
-- with Wilson 95% intervals, as of the last trends refresh. Every label appears in every window, with n = 0 if unseen.
CREATE OR REPLACE VIEW event_windows_by_source AS
WITH docs AS (
    SELECT source, day, label, n FROM stance_day_counts
    UNION ALL
    SELECT 'all' AS source, day, label, sum(n) AS n FROM stance_day_counts GROUP BY day, label
),
counts AS (
    SELECT e.event_id, w."window", d.source, d.label, sum(d.n) AS n
    FROM events e
    CROSS JOIN event_window_bounds w
    JOIN docs d ON d.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
    GROUP BY ALL
),
grid AS (
    SELECT e.event_id, e.occurred_at, w.window_order, w."window", w.day_from, w.day_to,
           src.source, l.label_order, l.label
    FROM events e
    CROSS JOIN event_window_bounds w
    CROSS JOIN (SELECT DISTINCT source FROM docs) src
    CROSS JOIN stance_labels l
),
filled AS (
    SELECT g.*, coalesce(c.n, 0) AS n,
           sum(coalesce(c.n, 0)) OVER (PARTITION BY g.event_id, g.source, g."window") AS n_window
    FROM grid g
    LEFT JOIN counts c USING (event_id, "window", source, label)
)
SELECT event_id, source, "window", label, n, n_window,
       CASE WHEN n_window > 0 THEN n / n_window END AS share,
       wilson_low(n, n_window) AS ci_low,
       wilson_high(n, n_window) AS ci_high,
       occurred_at + day_from AS date_from,
       occurred_at + day_to AS date_to,
       window_order, label_order
FROM filled;

-- The same over all sources: the table `sentiment trends` prints.
CREATE OR REPLACE VIEW event_windows AS
SELECT event_id, "window", label, n, share, ci_low, ci_high, n_window, date_from, date_to,
       window_order, label_order
FROM event_windows_by_source
WHERE source = 'all';

-- Daily stance counts and shares per source and over all sources ('all') as of the last trends
-- refresh, with Wilson 95%
-- intervals, the probability-weighted share (mean of the model's probability for the label)
-- and the 7-day rolling share (this day and the six calendar days before it).
CREATE OR REPLACE VIEW stance_trend_daily AS
WITH agg AS (
    SELECT day, source, label, n, s_concern, s_skepticism, s_support, s_neutral FROM stance_day_counts
),
by_source AS (
    SELECT * FROM agg
    UNION ALL
    SELECT day, 'all' AS source, label, sum(n), sum(s_concern), sum(s_skepticism), sum(s_support),
           sum(s_neutral)
    FROM agg GROUP BY day, label
),
days AS (
    SELECT day, source, sum(n) AS n_day, sum(s_concern) AS s_concern, sum(s_skepticism) AS s_skepticism,
           sum(s_support) AS s_support, sum(s_neutral) AS s_neutral
    FROM by_source GROUP BY day, source
),
grid AS (
    SELECT d.*, l.label, l.label_order FROM days d CROSS JOIN stance_labels l
),
filled AS (
    SELECT g.day, g.source, g.label, g.label_order, coalesce(b.n, 0) AS n, g.n_day,
           CASE g.label WHEN 'concern' THEN g.s_concern WHEN 'skepticism' THEN g.s_skepticism
                        WHEN 'support' THEN g.s_support ELSE g.s_neutral END AS p_sum
    FROM grid g LEFT JOIN by_source b USING (day, source, label)
)
SELECT day, source, label, n, n_day, n / n_day AS share,
       wilson_low(n, n_day) AS ci_low, wilson_high(n, n_day) AS ci_high,
       p_sum / n_day AS prob_share,
       sum(n) OVER w7 AS n_7d, sum(n_day) OVER w7 AS n_day_7d,
       sum(n) OVER w7 / sum(n_day) OVER w7 AS share_7d,
       label_order
FROM filled
WINDOW w7 AS (PARTITION BY source, label ORDER BY day
              RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW);

-- The same per ISO week (week_start = Monday), per source and 'all'.
CREATE OR REPLACE VIEW stance_trend_weekly AS
SELECT CAST(date_trunc('week', day) AS DATE) AS week_start, strftime(min(day), '%G-W%V') AS week,
       source, label, sum(n) AS n, sum(n_day) AS n_week, sum(n) / sum(n_day) AS share,
       wilson_low(sum(n), sum(n_day)) AS ci_low, wilson_high(sum(n), sum(n_day)) AS ci_high,
       sum(prob_share * n_day) / sum(n_day) AS prob_share, label_order
FROM stance_trend_daily
GROUP BY week_start, source, label, label_order;

-- Representative quotes with their text and link, in a stable column order.
CREATE OR REPLACE VIEW event_quotes_text AS
SELECT event_id, "window", label, rank, confidence, source, created_at, text, url, thread_title, doc_id
FROM event_quotes;

-- Which threads each event window's comments come from (live, from classified_documents): a
-- before/after shift between windows dominated by different threads compares different crowds.
CREATE OR REPLACE VIEW event_window_threads AS
WITH t AS (
    SELECT e.event_id, w."window", w.window_order, c.thread_id, count(*) AS n
    FROM events e
    CROSS JOIN event_window_bounds w
    JOIN classified_documents c ON c.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
    GROUP BY ALL
)
SELECT t.event_id, t."window", t.thread_id, r.title AS thread_title, t.n,
       t.n / sum(t.n) OVER (PARTITION BY t.event_id, t."window") AS share,
       row_number() OVER (PARTITION BY t.event_id, t."window" ORDER BY t.n DESC, t.thread_id) AS rank,
       t.window_order
FROM t LEFT JOIN documents r ON r.doc_id = t.thread_id;

-- Community documents with a current stance but no date (an article page or a reader's comment
-- that states none): every trend table and view leaves them out, since a day cannot be given to
-- them. This says how many, per source and kind; `sentiment trends` prints the total.
CREATE OR REPLACE VIEW undated_documents AS
SELECT d.source, d.kind, count(*) AS n
FROM documents d
JOIN current_stances s ON s.doc_id = d.doc_id
WHERE d.kind IN ('post', 'comment', 'quote') AND NOT d.deleted AND d.created_at IS NULL
GROUP BY ALL;
