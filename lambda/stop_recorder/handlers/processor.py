"""Firehose transformation Lambda: enrich every record, return every recordId, stay under 6 MB.

No Tracer here: importing the X-Ray SDK costs about 300 ms of cold start, and a CPU-only transform
that Firehose invokes without trace context has nothing to trace. No custom metrics either ($0.30 a month
each, and no alarm reads them): records processed are AWS/Firehose SucceedProcessing.Records, and the
failed and shed counts are fields of this function's warning lines, for Logs Insights.
"""

from __future__ import annotations

from collections import Counter

from aws_lambda_powertools import Logger

from stop_recorder.firehose import FAILED, process_records, response
from stop_recorder.settings import SERVICE_NAME, ProcessorSettings

settings = ProcessorSettings.from_env()
logger = Logger(service=SERVICE_NAME)


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
            "records_failed": len(failed), "errors": dict(errors), "record_ids": [o.record_id for o in failed[:20]]})
    shed = sum(o.detail_shed for o in outcomes)
    if shed:
        logger.warning("detail copy left out to fit the 6 MB response", extra={"records_detail_shed": shed})
    return response(outcomes)
