"""The cost model: monthly list prices (us-east-1) for 10k, 1M and 10M stopped tasks, from measured sizes.

`make bench` prints it from bench/report.json; docs/cost.md explains the assumptions. Prices are AWS
and vendor list prices as published when this was written: check them before you quote them.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

PRICES = {
    "firehose_per_gb": 0.029,            # Direct PUT ingestion, first 500 TB; each record rounded up to 5 KB
    "firehose_record_rounding_kb": 5,
    "lambda_gb_s_arm": 0.0000133334,
    "lambda_per_million_requests": 0.20,
    "s3_gb_month": 0.023,
    "s3_put_per_1000": 0.005,
    "athena_per_tb": 5.0,
    "athena_min_mb": 10,
    "ddb_per_million_wru": 0.625,
    "ddb_per_million_rru": 0.125,
    "cw_logs_ingest_per_gb": 0.50,
    "cw_logs_store_gb_month": 0.03,
    "cw_logs_insights_per_gb_scanned": 0.005,
    "cw_metric_month": 0.30,
    "cw_alarm_month": 0.10,
    "cw_dashboard_month": 3.00,
    "kms_key_month": 1.00,
    "secret_month": 0.40,
    "newrelic_per_gb_beyond_free": 0.40,  # standard data option; 100 GB/month free
    "newrelic_free_gb": 100,
    "datadog_ingest_per_gb": 0.10,
    "datadog_index_per_million": 1.70,    # 15-day retention, on-demand list price
}
# What one central recorder has that costs money every month whatever the volume: custom metrics, alarms, the
# dashboard, the topic's KMS key, and the secrets (a vendor key per vendor stream, the Slack webhook URL).
# tests/unit/test_cost_model.py checks these counts against the synthesized template of each configuration and
# against what the handlers really emit (tests/emitted_metrics.py runs them).
# Custom metrics: only what an alarm reads (FailedToStart, Crashes, HealthCheckFailures) plus the StoppedTasks
# total from the alert Lambda, and the schedule watchdog's ScheduleProblems. Category, severity and notification
# breakdowns are Logs Insights widgets over the alert log (stacks/dashboard.py). Before: 47 (43 counted here).
CENTRAL_METRICS = 5
# Alarms and secrets per recorder configuration (organizationId set, schedule watchdog on, as cdk.json defaults).
CONFIGURATIONS = {
    "all features: archive, New Relic, Datadog, Slack webhook and Chatbot": {"alarms": 21, "secrets": 3},
    "one vendor (Datadog), Slack webhook and Chatbot": {"alarms": 18, "secrets": 2},
    "archive, Slack webhook and Chatbot (no vendor stream)": {"alarms": 15, "secrets": 1},
    "archive only (cdk.json defaults)": {"alarms": 15, "secrets": 0},
}
ALL_FEATURES = next(iter(CONFIGURATIONS))
CENTRAL_ALARMS = CONFIGURATIONS[ALL_FEATURES]["alarms"]  # 17, plus the watchdog's errors, throttles and failed runs, plus the alert on-failure queue
CENTRAL_SECRETS = CONFIGURATIONS[ALL_FEATURES]["secrets"]
CENTRAL_GOAL = 8.00  # issue #12: at most $8 a month fixed for the central stack
# The dashboard's Logs Insights widgets over the alert log (4: by category, by severity, top services,
# notifications), each refresh scanning the dashboard's 1-day range; assume 10 views a day.
ALERT_LOG_WIDGETS = 4
DASHBOARD_VIEWS_PER_MONTH = 300
# The forwarder: one alarm. Its rule, role and an empty SQS queue cost nothing.
FORWARDER_ALARMS = 1
VOLUMES = (10_000, 1_000_000, 10_000_000)
MINUTES = 30 * 24 * 60


def monthly(tasks: int, r: dict, p: dict = PRICES) -> dict[str, float]:
    """Line items in USD per month for `tasks` stopped tasks, archive plus both vendors."""
    event_b = r["record_sizes"]["event_bytes_mean"]
    record_b = r["record_sizes"]["record_bytes_mean"]
    gzip_ratio = r["record_sizes"]["record_bytes_gzip_ratio"]
    us_per_record = 1e6 / r["processor"]["distinct_1000"]["processor_records_per_s"]  # distinct failures: no cache help
    # Measured by `make bench` with the real alert handler (DynamoDB stubbed at HTTP), on the sample mix:
    # transactions bill 2 WRU per item, so a stop costs ~4.8 WRU, not the 3 once assumed.
    alert = r.get("alert_logs", {}).get("crash_loop_mix", {})
    wru, rru = alert.get("wru_per_stop", 4.8), alert.get("rru_per_stop", 0.1)
    log_bytes = alert.get("log_bytes_per_stop", 3072)
    billed_kb = math.ceil(event_b / 1024 / p["firehose_record_rounding_kb"]) * p["firehose_record_rounding_kb"]
    per_minute = tasks / MINUTES
    # Firehose flushes every 60 s (or at 1 MiB for the processor): one invocation per stream per busy minute.
    busy_minutes = min(MINUTES, tasks)
    batch_records = max(1.0, per_minute)
    # Lambda's CPU share scales with memory: 1,769 MB is one vCPU; 256 MB is about 0.145 of it.
    cpu_share = 256 / 1769
    processor_s = busy_minutes * (0.005 + batch_records * us_per_record / 1e6 / cpu_share)
    # Billed duration: the measured DynamoDB requests per stop at ~8 ms each (round trips dominate), plus the
    # measured CPU per stop through the real botocore client scaled to 256 MB's share of a vCPU.
    requests = alert.get("requests_per_stop", 1.35)
    cpu_us = r.get("alert_botocore", {}).get("crash_loop_mix", {}).get("cpu_us_per_stop", {}).get("median", 1700)
    alert_s = tasks * (requests * 0.008 + cpu_us / 1e6 / (256 / 1769))
    items = {
        "Firehose ingestion (3 streams, 5 KB rounding)": 3 * tasks * billed_kb / 1024**2 * p["firehose_per_gb"],
        "Lambda processor (3 streams, 256 MB arm64)": 3 * (processor_s * 0.25 * p["lambda_gb_s_arm"]
                                                            + busy_minutes * p["lambda_per_million_requests"] / 1e6),
        "Lambda alert (256 MB arm64)": alert_s * 0.25 * p["lambda_gb_s_arm"] + tasks * p["lambda_per_million_requests"] / 1e6,
        f"DynamoDB storm table ({wru:.1f} WRU + {rru:.2f} RRU per stop, measured)":
            tasks * (wru * p["ddb_per_million_wru"] + rru * p["ddb_per_million_rru"]) / 1e6,
        "S3 archive (storage after 12 months + PUTs)": tasks * 12 * record_b * gzip_ratio / 1024**3 * p["s3_gb_month"]
                                                       + busy_minutes * p["s3_put_per_1000"] / 1000,
        f"CloudWatch Logs (alert log line + EMF, {log_bytes:,.0f} B per stop, measured)":
            tasks * log_bytes / 1024**3 * p["cw_logs_ingest_per_gb"],
        f"Logs Insights dashboard widgets ({ALERT_LOG_WIDGETS} over the alert log, 1-day range, 10 views a day)":
            DASHBOARD_VIEWS_PER_MONTH * ALERT_LOG_WIDGETS * tasks / 30 * log_bytes / 1024**3 * p["cw_logs_insights_per_gb_scanned"],
        "CloudWatch metrics, alarms, dashboard, KMS key": central_cloudwatch(ALL_FEATURES, p),
        "Athena (100 queries, partition-projected 7 days)": 100 * max(p["athena_min_mb"] / 1024**2,
                                                                      tasks / 30 * 7 * record_b * gzip_ratio / 1024**4) * p["athena_per_tb"],
        "Secrets Manager (2 vendor keys, Slack webhook)": CENTRAL_SECRETS * p["secret_month"],
    }
    items["stop-recorder total (AWS)"] = sum(items.values())
    gb = tasks * record_b / 1024**3
    items["New Relic ingest (beyond 100 GB free)"] = max(0.0, gb - p["newrelic_free_gb"]) * p["newrelic_per_gb_beyond_free"]
    items["Datadog ingest + 15-day index"] = gb * p["datadog_ingest_per_gb"] + tasks / 1e6 * p["datadog_index_per_million"]
    items["Alternative: EventBridge → CloudWatch Logs (raw events, 12 months kept)"] = (
        tasks * event_b / 1024**3 * (p["cw_logs_ingest_per_gb"] + 12 * 0.15 * p["cw_logs_store_gb_month"]))
    return items


def cost_table(report: dict) -> str:
    """Markdown table of the model."""
    rows = {n: monthly(n, report) for n in VOLUMES}
    names = list(rows[VOLUMES[0]])
    lines = ["| monthly USD | " + " | ".join(f"{n:,} stops" for n in VOLUMES) + " |", "|---|" + "---:|" * len(VOLUMES)]
    for name in names:
        bold = "**" if "total" in name else ""
        lines.append(f"| {bold}{name}{bold} | " + " | ".join(f"{bold}{rows[n][name]:,.2f}{bold}" for n in VOLUMES) + " |")
    return "\n".join(lines)


# --- Org-wide estates (issue #12): one central recorder, a forwarder in every other account-region ---------------
# EventBridge: AWS service events (ECS task state changes) are free on the default bus; an event a rule sends to
# an event bus in another account or region is billed as a custom event, per 64 KB chunk, and crossing regions
# adds standard inter-region data transfer. https://aws.amazon.com/eventbridge/pricing/
ORG_PRICES = {
    "eventbridge_bus_to_bus_per_million": 1.00,
    "eventbridge_chunk_kb": 64,
    "inter_region_transfer_per_gb": 0.02,
}
ESTATES = ((1, 1), (30, 3))


def central_cloudwatch(configuration: str = ALL_FEATURES, p: dict = PRICES) -> float:
    """Monthly CloudWatch and KMS cost of the recorder stack: custom metrics, alarms, dashboard, topic key.

    List prices (https://aws.amazon.com/cloudwatch/pricing/), every custom metric counted as published in
    every hour of the month; the free tier (10 metrics, 10 alarms, 3 dashboards per account) is left out.
    """
    return (CENTRAL_METRICS * p["cw_metric_month"] + CONFIGURATIONS[configuration]["alarms"] * p["cw_alarm_month"]
            + p["cw_dashboard_month"] + p["kms_key_month"])


def central_fixed(configuration: str = ALL_FEATURES, p: dict = PRICES) -> float:
    """Monthly fixed cost of the recorder stack (metrics, alarms, dashboard, KMS key, secrets)."""
    return central_cloudwatch(configuration, p) + CONFIGURATIONS[configuration]["secrets"] * p["secret_month"]


def central_table(p: dict = PRICES) -> str:
    """Markdown table: the central stack's fixed cost per configuration against the $8 goal."""
    lines = ["| central recorder configuration | metrics | alarms | secrets | CloudWatch + KMS | secrets | fixed USD/month | ≤ $8 |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, counts in CONFIGURATIONS.items():
        fixed = central_fixed(name, p)
        lines.append(f"| {name} | {CENTRAL_METRICS} | {counts['alarms']} | {counts['secrets']} | "
                     f"{central_cloudwatch(name, p):.2f} | {counts['secrets'] * p['secret_month']:.2f} | {fixed:.2f} | "
                     f"{'met' if fixed <= CENTRAL_GOAL + 1e-9 else 'not met'} |")
    return "\n".join(lines)


def forwarder_fixed(p: dict = PRICES) -> float:
    """Monthly fixed cost of one forwarder account-region."""
    return FORWARDER_ALARMS * p["cw_alarm_month"]


def estate(accounts: int, regions: int, tasks: int, r: dict, p: dict = PRICES, o: dict = ORG_PRICES) -> dict[str, float]:
    """Monthly USD for accounts x regions sending `tasks` stops, spread evenly, to one central recorder."""
    account_regions = accounts * regions
    forwarders = account_regions - 1  # the central account-region needs none: its capture rule reads that bus
    forwarded = tasks * forwarders / account_regions
    cross_region = tasks * (regions - 1) / regions
    event_b = r["record_sizes"]["event_bytes_mean"]
    chunks = math.ceil(event_b / 1024 / o["eventbridge_chunk_kb"])
    pipeline = monthly(tasks, r, p)
    per_stop = (pipeline["stop-recorder total (AWS)"] - pipeline["CloudWatch metrics, alarms, dashboard, KMS key"]
                - pipeline["Secrets Manager (2 vendor keys, Slack webhook)"])
    items = {
        f"fixed: central recorder ({CENTRAL_METRICS} metrics, {CENTRAL_ALARMS} alarms, dashboard, KMS key, "
        f"{CENTRAL_SECRETS} secrets)": central_fixed(p=p),
        "fixed: forwarders (one alarm per account-region but the central one)": forwarders * forwarder_fixed(p),
        "per stop: recorder pipeline (Firehose, Lambda, DynamoDB, S3, Logs, Athena)": per_stop,
        "per stop: EventBridge bus-to-bus, custom-event price": forwarded * chunks * o["eventbridge_bus_to_bus_per_million"] / 1e6,
        "per stop: inter-region data transfer": cross_region * event_b / 1024**3 * o["inter_region_transfer_per_gb"],
    }
    items["total"] = sum(items.values())
    items["instead: a full recorder in every account-region"] = account_regions * central_fixed(p=p) + per_stop
    return items


def estate_table(report: dict, volumes: tuple[int, ...] = (0, 1_000_000)) -> str:
    """Markdown table: each estate with no stops (the fixed part) and at each volume."""
    columns = [(a, g, n) for a, g in ESTATES for n in volumes]
    rows = {column: estate(column[0], column[1], column[2], report) for column in columns}
    lines = ["| monthly USD | " + " | ".join(f"{a}×{g}, {n:,} stops" for a, g, n in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for name in rows[columns[0]]:
        bold = "**" if name == "total" else ""
        lines.append(f"| {bold}{name}{bold} | " + " | ".join(f"{bold}{rows[c][name]:,.2f}{bold}" for c in columns) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "report.json")
    loaded = json.loads(path.read_text())
    print(cost_table(loaded))
    print()
    print(estate_table(loaded))
    print()
    print(central_table())
