-- name: image-and-architecture-problems
-- description: Tasks stopped by CPU-architecture or image problems (platform mismatch, missing image, pull denied or throttled), with the task's architecture.
SELECT stopped_at, cluster, service, task_family, task_revision, cpu_architecture, category, image, summary
FROM {table}
WHERE dt >= date_format(current_date - interval '30' day, '%Y-%m-%d')
  AND category IN ('image.platform_mismatch', 'image.not_found', 'image.access_denied', 'image.invalid', 'image.rate_limited')
ORDER BY stopped_at DESC
LIMIT 200
