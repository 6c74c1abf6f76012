-- Stance mix per ISO week over all sources, with Wilson 95% intervals.
SELECT strftime(day, '%G-W%V') AS week, label, count(*) AS n,
       round(count(*) / sum(count(*)) OVER (PARTITION BY strftime(day, '%G-W%V')), 3) AS share,
       round(wilson_low(count(*), sum(count(*)) OVER (PARTITION BY strftime(day, '%G-W%V'))), 3) AS ci_low,
       round(wilson_high(count(*), sum(count(*)) OVER (PARTITION BY strftime(day, '%G-W%V'))), 3) AS ci_high
FROM classified_documents
GROUP BY week, label
ORDER BY week, label;
