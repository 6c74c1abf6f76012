-- Did the mood change at each event, and how sure are we? The before (-7..-1) → after (0..+6)
-- change in each stance's share, with its 95% interval: raw labels (Newcombe), the model's mean
-- probability (bootstrap) and, with a random audit, corrected by it (PPI++; audit_scope says whether
-- each window had its own audit labels or pooled them). too_small rows are not findings.
SELECT e.name AS event, e.occurred_at, f.source, f.label, f.method, f.n_before, f.n_after,
       round(100 * f.share_before, 1) AS before_pct, round(100 * f.share_after, 1) AS after_pct,
       round(100 * f.diff, 1) AS change_pp, round(100 * f.diff_low, 1) AS low_pp,
       round(100 * f.diff_high, 1) AS high_pp, round(f.p_value, 4) AS p_value, f.too_small, f.audit_scope,
       NOT f.too_small AND (f.diff_low > 0 OR f.diff_high < 0) AS beyond_uncertainty
FROM event_effects f
JOIN events e USING (event_id)
JOIN stance_labels l USING (label)
ORDER BY e.occurred_at, f.source = 'all' DESC, f.source, l.label_order,
         list_position(['raw', 'prob', 'ppi'], f.method);
