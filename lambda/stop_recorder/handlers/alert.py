"""Alert Lambda: one stopped task in, its metrics exactly once and at most one Slack message per channel out."""

from __future__ import annotations

import functools
import time
from datetime import datetime, timezone

from aws_lambda_powertools import Logger, Metrics
from botocore.config import Config

from stop_recorder.accounts import AccountNameSettings, account_name_lookup
from stop_recorder.adapters.aws import LazyClient, dynamodb_client
from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.adapters.ecs import TaskDefinitionLogs
from stop_recorder.adapters.organizations import OrganizationsAccountNames
from stop_recorder.adapters.emf import EmfMetrics
from stop_recorder.adapters.slack import ChatbotTopic, SecretUrl, SlackWebhook
from stop_recorder.adapters.watch_store import DynamoFamilyLedger
from stop_recorder.alerts.flow import InFlight, NotifyError, handle_stop
from stop_recorder.events import parse_event
from stop_recorder.model import iso
from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME, AlertSettings

# DynamoDB writes are safe to resend (adapters/dynamo.py): short timeouts turn a stalled request into a
# resend instead of a Lambda timeout. SNS publishes are not: no SDK retries, a timeout is final
# (https://docs.aws.amazon.com/boto3/latest/guide/retries.html).
# No client-side parameter validation, which botocore documents as a switch for performance
# (https://docs.aws.amazon.com/botocore/latest/reference/config.html): about a fifth of each request's
# client-side CPU. The adapters build every request themselves; tests/unit/test_botocore_data.py sends them
# all through a validating client, and DynamoDB still rejects a malformed request (ValidationException).
DYNAMODB_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3},
                         parameter_validation=False)
SNS_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1})

settings = AlertSettings.from_env()
logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRIC_NAMESPACE, service=SERVICE_NAME)
dynamodb = dynamodb_client(DYNAMODB_CONFIG)  # trimmed model and endpoints from the asset (adapters/aws.py)
store = DynamoStormStore(dynamodb, settings.table_name)
ledger = DynamoFamilyLedger(dynamodb, settings.table_name)  # per-family last stop/success for the schedule watchdog
notifiers = []
if settings.topic_arn:
    notifiers.append(ChatbotTopic(LazyClient("sns", SNS_CONFIG), settings.topic_arn))
if settings.webhook_secret_arn:
    notifiers.append(SlackWebhook(SecretUrl(LazyClient("secretsmanager"), settings.webhook_secret_arn)))
emit = EmfMetrics(metrics, by_cluster=settings.metrics_by_cluster)
log_location = TaskDefinitionLogs(LazyClient("ecs"))
# account id -> name: ACCOUNT_NAMES, then (READ_ACCOUNT_NAMES=true) Organizations, created on first use; else None
account_name = account_name_lookup(AccountNameSettings.from_env(), fetch=OrganizationsAccountNames(LazyClient("organizations")))
clock = time.time  # the local runner replays history and sets event time here


# The diagnosis modules (evidence sources, manifests, log tails) are about a tenth of the cold import, and most
# invocations never notify (a scale-in, a duplicate, a crash loop's suppressed repeats), so they are imported by the
# first notification that asks for evidence, not at cold start.
@functools.cache
def _bound_evidence():
    from stop_recorder.adapters.evidence import EvidenceSources
    from stop_recorder.diagnosis.gather import DiagnosisSettings, gather_evidence

    sources = EvidenceSources(own_account=settings.recorder_account, assume_roles=settings.diagnosis_role,
                              budget_seconds=settings.diagnosis_budget_seconds)
    return functools.partial(gather_evidence, source_for=sources, settings=DiagnosisSettings(
        log_tail_lines=settings.log_tail_lines, budget_seconds=settings.diagnosis_budget_seconds))


def _gather_evidence(stop, verdict):
    """Evidence for a notification: the diagnosis modules' gather_evidence, imported on first use."""
    return _bound_evidence()(stop, verdict)


evidence = _gather_evidence if settings.diagnosis_budget_seconds > 0 else None
diagnoses = None  # the S3 archive of diagnoses, made with the first diagnosis (DIAGNOSIS_BUCKET set)


@logger.inject_lambda_context(clear_state=True)  # keys appended for one task must not leak into the next
def _handle(event: dict, context) -> dict:
    """Handle one 'ECS Task State Change' event; only STOPPED ones are counted and alerted."""
    stop = parse_event(event)
    task = stop.task
    logger.append_keys(task_id=task.task_id, event_id=stop.event_id)
    try:
        outcome = handle_stop(stop, settings=settings, store=store, notifiers=notifiers, now=clock(), emit=emit,
                              log_location=log_location, account_name=account_name, ledger=ledger,
                              gather_evidence=evidence)
    except (NotifyError, InFlight) as error:
        # Our own messages: they name channels and secrets, never a URL or a secret's value.
        logger.error(str(error), extra={"error": type(error).__name__})
        raise
    if outcome.diagnosis is not None:
        record_diagnosis(outcome.diagnosis)
    verdict = outcome.verdict
    logger.append_keys(category=verdict.category, severity=verdict.severity)
    logger.info(verdict.summary, extra={"action": outcome.action, "count": outcome.count, "channels": outcome.channels,
                                        "uncertain": outcome.uncertain, "is_failure": verdict.is_failure,
                                        "rule": verdict.rule, "cluster": task.cluster_name,
                                        "service_name": task.service_name or task.group})
    return {"action": outcome.action, "category": verdict.category, "count": outcome.count}


def record_diagnosis(diagnosis) -> None:
    """Log and archive a diagnosis; the alert is already out, so nothing here may fail the invocation."""
    record = diagnosis.as_record(iso(datetime.fromtimestamp(clock(), tz=timezone.utc)))
    fields = {"diagnosis": {k: v for k, v in record.items() if k != "log_tail"}}
    if diagnosis.reclassified:
        # A field Logs Insights sums, not a CloudWatch metric ($0.30 a month): no alarm reads it (docs/cost.md).
        fields["DiagnosedReclassifications"] = 1
    logger.info("diagnosis", extra=fields)
    archive = _diagnosis_archive()
    if archive is not None:
        # imported already: a diagnosis exists only once gather_evidence ran
        from stop_recorder.diagnosis.gather import EvidenceUnavailable

        try:
            archive.put(record)
        except EvidenceUnavailable as error:
            logger.warning("diagnosis record not archived", extra={"reason": str(error)})


def _diagnosis_archive():
    global diagnoses
    if diagnoses is None and settings.diagnosis_bucket:
        from stop_recorder.adapters.evidence import DiagnosisArchive

        diagnoses = DiagnosisArchive(LazyClient("s3"), settings.diagnosis_bucket)
    return diagnoses


if settings.tracing:
    # X-Ray costs ~200 ms of cold start (the SDK import), so the Tracer exists only when tracing is on.
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=SERVICE_NAME)
    handler = tracer.capture_lambda_handler(_handle, capture_response=False)
else:
    handler = _handle
