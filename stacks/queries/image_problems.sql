-- name: image-and-architecture-problems
-- description: Tasks stopped by CPU-architecture or image problems (platform mismatch, missing image, pull denied or throttled), with the task's architecture; includes crashes the alert Lambda proved to be platform mismatches.
SELECT s.stopped_at, s.account, s.region, s.cluster, s.service, s.task_family, s.task_revision,
       COALESCE(d.task_cpu_architecture, s.cpu_architecture) AS cpu_architecture,
       COALESCE(d.category, s.category) AS category, s.image, d.image_platforms, COALESCE(d.summary, s.summary) AS summary,
       d.category IS NOT NULL AND d.reclassified AS diagnosed
FROM {table} s
LEFT JOIN {diagnoses} d
  ON d.task_arn = s.task_arn AND d.task_version = s.task_version
 AND d.dt >= date_format(current_date - interval '31' day, '%Y-%m-%d')
WHERE s.dt >= date_format(current_date - interval '30' day, '%Y-%m-%d')
  AND COALESCE(d.category, s.category) IN ('image.platform_mismatch', 'image.not_found', 'image.access_denied', 'image.invalid', 'image.rate_limited')
ORDER BY s.stopped_at DESC
LIMIT 200
