-- Threads by volume, with their stance mix: where is the conversation happening?
-- (as of the last trends refresh)
SELECT source, any_value(thread_title) AS thread_title, sum(n) AS n,
       round(sum(n) FILTER (WHERE label = 'concern') / sum(n), 2) AS concern,
       round(sum(n) FILTER (WHERE label = 'skepticism') / sum(n), 2) AS skepticism,
       round(sum(n) FILTER (WHERE label = 'support') / sum(n), 2) AS support,
       round(sum(n) FILTER (WHERE label = 'neutral') / sum(n), 2) AS neutral,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen, any_value(url) AS url
FROM thread_stance_counts
GROUP BY source, thread_id
ORDER BY n DESC, first_seen;
