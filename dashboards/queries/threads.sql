-- Threads by volume, with their stance mix: where is the conversation happening?
SELECT c.source, c.thread_title, count(*) AS n,
       round(avg(CASE WHEN c.label = 'concern' THEN 1 ELSE 0 END), 2) AS concern,
       round(avg(CASE WHEN c.label = 'skepticism' THEN 1 ELSE 0 END), 2) AS skepticism,
       round(avg(CASE WHEN c.label = 'support' THEN 1 ELSE 0 END), 2) AS support,
       round(avg(CASE WHEN c.label = 'neutral' THEN 1 ELSE 0 END), 2) AS neutral,
       min(c.created_at) AS first_seen, any_value(t.url) AS url
FROM classified_documents c
LEFT JOIN documents t ON t.doc_id = c.thread_id
GROUP BY c.source, c.thread_id, c.thread_title
ORDER BY n DESC;
