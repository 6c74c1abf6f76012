-- For each event: the stance mix the week before and the week after, side by side, and the test.
SELECT e.name AS event, e.occurred_at, w.label,
       max(CASE WHEN w."window" = '-7..-1' THEN round(w.share, 3) END) AS share_before,
       max(CASE WHEN w."window" = '0..+6' THEN round(w.share, 3) END) AS share_after,
       max(CASE WHEN w."window" = '-7..-1' THEN w.n_window END) AS n_before,
       max(CASE WHEN w."window" = '0..+6' THEN w.n_window END) AS n_after,
       any_value(s.p_value) AS p_value, any_value(s.small_sample) AS small_sample
FROM event_windows w
JOIN events e USING (event_id)
LEFT JOIN event_shift s ON s.event_id = w.event_id AND s.source = 'all'
GROUP BY e.name, e.occurred_at, w.label, w.label_order
ORDER BY e.occurred_at, w.label_order;
