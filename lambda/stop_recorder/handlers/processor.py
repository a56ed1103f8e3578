"""Firehose transformation Lambda: enrich every record, return every recordId, stay under 6 MB.

No Tracer here: importing the X-Ray SDK costs about 300 ms of cold start, and a CPU-only transform
that Firehose invokes without trace context has nothing to trace. Logger and Metrics stay.
"""

from __future__ import annotations

from collections import Counter

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from stop_recorder.firehose import FAILED, process_records, response
from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME, ProcessorSettings

settings = ProcessorSettings.from_env()
logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRIC_NAMESPACE, service=SERVICE_NAME)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    """Transform one Firehose batch."""
    stream = event.get("deliveryStreamArn", "")
    records = event.get("records", [])
    outcomes = process_records(((r.get("recordId", ""), r.get("data", "")) for r in records),
                               redact=settings.redact_for(stream), redact_command=settings.redact_command,
                               custom_rules=settings.custom_rules)
    failed = [o for o in outcomes if o.result == FAILED]
    if failed:  # one line per kind of error, not per record: an oversized batch can fail thousands
        errors = Counter(o.error for o in failed)
        logger.warning("records sent to the error prefix", extra={
            "errors": dict(errors), "record_ids": [o.record_id for o in failed[:20]]})
    shed = sum(o.detail_shed for o in outcomes)
    if shed:
        logger.warning("detail copy left out to fit the 6 MB response", extra={"records": shed})
    metrics.add_metric(name="RecordsProcessed", unit=MetricUnit.Count, value=len(outcomes) - len(failed))
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failed))
    metrics.add_metric(name="RecordsDetailShed", unit=MetricUnit.Count, value=shed)
    return response(outcomes)
