-- Stance mix per ISO week over all sources, with Wilson 95% intervals and the
-- probability-weighted share (as of the last trends refresh).
SELECT week, label, n, n_week, round(share, 3) AS share, round(ci_low, 3) AS ci_low,
       round(ci_high, 3) AS ci_high, round(prob_share, 3) AS prob_share
FROM stance_trend_weekly
WHERE source = 'all'
ORDER BY week_start, label_order;
