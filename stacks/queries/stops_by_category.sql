-- name: stops-by-category-and-cluster
-- description: Stopped tasks by account, region, cluster, category and severity over the last 7 days (distinct tasks: EventBridge delivers at least once).
SELECT account, region, cluster, category, severity, count(DISTINCT task_arn) AS stops
FROM {table}
WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
GROUP BY account, region, cluster, category, severity
ORDER BY stops DESC, account, region, cluster, category
