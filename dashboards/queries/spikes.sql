-- Which days broke from their baseline, and why (volume, concern share, skepticism share)?
SELECT day, source, metric, round(value, 3) AS value, round(baseline, 3) AS baseline,
       round(z, 1) AS z, n, reason
FROM spikes
ORDER BY day DESC, source = 'all' DESC, source, metric;
