-- name: stops-by-category-and-cluster
-- description: Stopped tasks by category, severity and cluster over the last 7 days (distinct tasks: EventBridge delivers at least once).
SELECT cluster, category, severity, count(DISTINCT task_arn) AS stops
FROM {table}
WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
GROUP BY cluster, category, severity
ORDER BY stops DESC, cluster, category
