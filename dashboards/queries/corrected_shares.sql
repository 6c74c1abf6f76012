-- Each event window's shares over all sources, raw beside probability-weighted and (with a
-- model card) classifier-corrected ACC/PACC, with 95% intervals and the counts behind them.
SELECT e.name AS event, a."window", a.label, a.n,
       max(CASE WHEN method = 'raw' THEN round(share, 3) END) AS raw,
       max(CASE WHEN method = 'raw' THEN round(ci_low, 3) || '–' || round(ci_high, 3) END) AS raw_ci,
       max(CASE WHEN method = 'prob' THEN round(share, 3) END) AS prob_weighted,
       max(CASE WHEN method = 'acc' THEN round(share, 3) END) AS acc,
       max(CASE WHEN method = 'pacc' THEN round(share, 3) END) AS pacc,
       max(CASE WHEN method = 'pacc' THEN round(ci_low, 3) || '–' || round(ci_high, 3) END) AS pacc_ci,
       bool_or(too_small) AS too_small
FROM adjusted_shares a
JOIN events e USING (event_id)
JOIN event_window_bounds w USING ("window")
JOIN stance_labels l USING (label)
WHERE a.source = 'all'
GROUP BY e.name, e.occurred_at, a."window", w.window_order, a.label, l.label_order, a.n
ORDER BY e.occurred_at, w.window_order, l.label_order;
