-- name: tasks-that-failed-to-start
-- description: Tasks that never ran (image, network, secrets, logging, storage, capacity), newest first, with their account and region.
SELECT stopped_at, account, region, cluster, service, task_family, task_revision, category, summary, hint, stopped_reason, task_arn
FROM {table}
WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
  AND failed_to_start
ORDER BY stopped_at DESC
LIMIT 200
