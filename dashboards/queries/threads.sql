-- Threads by volume, with their stance mix: where is the conversation happening?
WITH per_thread AS (
    SELECT d.source, d.thread_id, count(*) AS n,
           avg(CASE WHEN s.label = 'concern' THEN 1 ELSE 0 END) AS concern,
           avg(CASE WHEN s.label = 'skepticism' THEN 1 ELSE 0 END) AS skepticism,
           avg(CASE WHEN s.label = 'support' THEN 1 ELSE 0 END) AS support,
           avg(CASE WHEN s.label = 'neutral' THEN 1 ELSE 0 END) AS neutral,
           min(d.created_at) AS first_seen
    FROM documents d
    JOIN current_stances s USING (doc_id)
    WHERE d.kind IN ('post', 'comment', 'quote') AND NOT d.deleted AND d.created_at IS NOT NULL
    GROUP BY d.source, d.thread_id
)
SELECT p.source, t.title AS thread_title, p.n, round(p.concern, 2) AS concern,
       round(p.skepticism, 2) AS skepticism, round(p.support, 2) AS support,
       round(p.neutral, 2) AS neutral, p.first_seen, t.url
FROM per_thread p
LEFT JOIN documents t ON t.doc_id = p.thread_id
ORDER BY p.n DESC;
