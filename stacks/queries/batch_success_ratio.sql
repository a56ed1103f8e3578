-- name: batch-success-ratio
-- description: Success ratio per task family for standalone runs over 7 days (distinct tasks: EventBridge delivers at least once); a success whose log router was killed still counts, and is shown apart.
SELECT task_family,
       count(*) AS runs,
       count_if(category = 'container.completed') AS succeeded,
       count_if(category = 'container.completed' AND logs_may_be_lost) AS succeeded_logs_lost,
       round(1.0 * count_if(category = 'container.completed') / count(*), 3) AS success_ratio
FROM (
  -- one row per task: EventBridge and Firehose deliver at least once, so a run may be archived twice
  SELECT DISTINCT task_family, task_arn, category, logs_may_be_lost
  FROM {table}
  WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
    AND service_name IS NULL
)
GROUP BY task_family
ORDER BY success_ratio ASC, runs DESC
