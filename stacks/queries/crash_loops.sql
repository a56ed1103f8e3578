-- name: crash-loops
-- description: The same service (per account and region), category and task definition revision failing again and again in the last 24 hours.
SELECT account, region, cluster, service, category, task_family, task_revision, count(DISTINCT task_arn) AS stops,
       min(stopped_at) AS first_stop, max(stopped_at) AS last_stop
FROM {table}
WHERE dt >= date_format(current_date - interval '1' day, '%Y-%m-%d')
  AND is_failure
GROUP BY account, region, cluster, service, category, task_family, task_revision
HAVING count(DISTINCT task_arn) >= 3
ORDER BY stops DESC
