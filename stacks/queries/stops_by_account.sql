-- name: stops-by-account
-- description: Per account and region over the last 7 days: stopped tasks, failures, tasks that never started, and the last stop (distinct tasks).
SELECT account, region, count(DISTINCT task_arn) AS stops,
       count(DISTINCT CASE WHEN is_failure THEN task_arn END) AS failures,
       count(DISTINCT CASE WHEN failed_to_start THEN task_arn END) AS failed_to_start,
       max(stopped_at) AS last_stop
FROM {table}
WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
GROUP BY account, region
ORDER BY failures DESC, stops DESC, account, region
