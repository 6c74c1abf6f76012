-- Each event window's shares over all sources: raw labels beside the model's mean probability
-- and, where a random audit exists (`sentiment label --audit N`), corrected by it (PPI++), with
-- 95% intervals, the counts behind them and where the audit labels came from.
SELECT e.name AS event, a."window", a.label, a.n,
       max(CASE WHEN method = 'raw' THEN round(share, 3) END) AS raw,
       max(CASE WHEN method = 'raw' THEN round(ci_low, 3) || '–' || round(ci_high, 3) END) AS raw_ci,
       max(CASE WHEN method = 'prob' THEN round(share, 3) END) AS prob_weighted,
       max(CASE WHEN method = 'ppi' THEN round(share, 3) END) AS ppi,
       max(CASE WHEN method = 'ppi' THEN round(ci_low, 3) || '–' || round(ci_high, 3) END) AS ppi_ci,
       max(CASE WHEN method = 'ppi' THEN n_audit END) AS n_audit,
       max(CASE WHEN method = 'ppi' THEN audit_scope END) AS audit_scope,
       bool_or(too_small) AS too_small
FROM adjusted_shares a
JOIN events e USING (event_id)
JOIN event_window_bounds w USING ("window")
JOIN stance_labels l USING (label)
WHERE a.source = 'all'
GROUP BY e.name, e.occurred_at, a."window", w.window_order, a.label, l.label_order, a.n
ORDER BY e.occurred_at, w.window_order, l.label_order;
