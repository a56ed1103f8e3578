-- name: scheduled-runs-per-hour
-- description: Standalone runs per task family and hour over the last 48 hours, empty hours included, against the family's expected hourly count (the median of its hourly runs over 7 days): hours below it are runs that never happened or never stopped.
WITH runs AS (
  -- one row per task: EventBridge and Firehose deliver at least once, so a run may be archived twice
  SELECT DISTINCT task_family, task_arn, substr(stopped_at, 1, 13) AS hour, category
  FROM {table}
  WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
    AND service_name IS NULL AND stopped_at IS NOT NULL AND task_family IS NOT NULL
),
hourly AS (
  SELECT task_family, hour, count(*) AS runs, count_if(category = 'container.completed') AS succeeded
  FROM runs
  GROUP BY task_family, hour
),
expected AS (
  SELECT task_family, approx_percentile(runs, 0.5) AS expected_runs FROM hourly GROUP BY task_family
),
hours AS (
  SELECT date_format(h, '%Y-%m-%dT%H') AS hour
  FROM UNNEST(sequence(date_trunc('hour', current_timestamp - interval '47' hour),
                       date_trunc('hour', current_timestamp), interval '1' hour)) AS t(h)
)
SELECT e.task_family, hours.hour, coalesce(hourly.runs, 0) AS runs, coalesce(hourly.succeeded, 0) AS succeeded,
       e.expected_runs, coalesce(hourly.runs, 0) - e.expected_runs AS difference
FROM expected e
CROSS JOIN hours
LEFT JOIN hourly ON hourly.task_family = e.task_family AND hourly.hour = hours.hour
ORDER BY e.task_family, hours.hour DESC
