-- name: stops-with-their-diagnosis
-- description: Stops the alert Lambda gathered evidence for, with what the evidence showed (image platforms, task architecture, log location, reclassification), last 7 days.
SELECT s.stopped_at, s.account, s.region, s.cluster, s.service, s.task_family, s.task_revision, s.category AS recorded_category,
       d.category AS diagnosed_category, d.reclassified, d.image_platforms, d.task_cpu_architecture, d.log_location,
       d.evidence, d.unavailable, s.task_arn
FROM {table} s
JOIN {diagnoses} d
  ON d.task_arn = s.task_arn AND d.task_version = s.task_version
 AND d.dt >= date_format(current_date - interval '8' day, '%Y-%m-%d')
WHERE s.dt >= date_format(current_date - interval '7' day, '%Y-%m-%d')
ORDER BY s.stopped_at DESC
LIMIT 200
