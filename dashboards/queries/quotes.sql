-- In their own words: representative (confident, diverse) comments per event window and stance.
SELECT e.name AS event, q."window", q.label, q.rank, round(q.confidence, 2) AS confidence,
       q.source, q.created_at, q.text, q.url
FROM event_quotes_text q
JOIN events e USING (event_id)
JOIN event_window_bounds w USING ("window")
JOIN stance_labels l USING (label)
ORDER BY e.occurred_at, w.window_order, l.label_order, q.rank;
