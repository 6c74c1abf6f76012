-- The latest runs of each step: what came in, what was new, what was skipped and why.
SELECT step, status, started_at, finished_at - started_at AS took, n_in, n_new, n_updated,
       n_skipped, notes
FROM runs
ORDER BY started_at DESC
LIMIT 20;
