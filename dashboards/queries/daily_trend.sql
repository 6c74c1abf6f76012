-- Stance share per day over all sources: the day's share and the 7-day rolling share.
SELECT day, label, n, n_day, round(share, 3) AS share, round(share_7d, 3) AS share_7d,
       round(prob_share, 3) AS prob_weighted
FROM stance_trend_daily
WHERE source = 'all'
ORDER BY day, label_order;
