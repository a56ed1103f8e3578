-- name: batch-runs
-- description: Standalone (batch and scheduled) task runs with their exit code: did the batch finish, even when its last log lines were lost?
SELECT stopped_at, task_family, task_revision, started_by, category, culprit_container, culprit_exit_code,
       culprit_signal, logs_may_be_lost, seconds_running, summary
FROM {table}
WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
  AND service_name IS NULL
ORDER BY stopped_at DESC
LIMIT 500
