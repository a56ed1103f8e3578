"""The cost model counts what the template really deploys, and the org-wide estates add up."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

from stop_recorder.local.demo import DEMO_CONTEXT
from stop_recorder.local.org_demo import ORG_CONTEXT

sys.path.insert(0, str(ROOT / "bench"))
import cost  # noqa: E402

REPORT = {"record_sizes": {"event_bytes_mean": 2087, "record_bytes_mean": 4457, "record_bytes_gzip_ratio": 0.05},
          "processor": {"distinct_1000": {"processor_records_per_s": 7000}}}


# The context of each costed configuration (cdk.json defaults underneath, as `cdk synth -c` would).
SLACK = {"slackWebhook": "true", "slackWorkspaceId": "TDEMO00001", "slackChannelId": "CDEMO00001"}
CONFIGURATION_CONTEXT = {
    cost.ALL_FEATURES: DEMO_CONTEXT,
    "one vendor (Datadog), Slack webhook and Chatbot": {**ORG_CONTEXT, **SLACK, "destinations": "datadog"},
    "archive, Slack webhook and Chatbot (no vendor stream)": {**ORG_CONTEXT, **SLACK},
    "archive only (cdk.json defaults)": {},
}


@pytest.mark.parametrize("name", list(cost.CONFIGURATIONS))
def test_fixed_counts_match_the_synthesized_recorder(synth, name):
    stack = synth(**CONFIGURATION_CONTEXT[name])
    assert len(stack.resources("AWS::CloudWatch::Alarm")) == cost.CONFIGURATIONS[name]["alarms"]
    assert len(stack.resources("AWS::SecretsManager::Secret")) == cost.CONFIGURATIONS[name]["secrets"]
    assert len(stack.resources("AWS::CloudWatch::Dashboard")) == 1 and len(stack.resources("AWS::KMS::Key")) == 1


def test_metric_count_is_what_the_handlers_emit():
    # Run the real alert sink over every category and kind, the real watchdog and processor handlers.
    from emitted_metrics import recorder_metrics

    assert len(recorder_metrics()) == cost.CENTRAL_METRICS


def test_which_configurations_meet_the_central_goal():
    fixed = {name: cost.central_fixed(name) for name in cost.CONFIGURATIONS}
    assert fixed[cost.ALL_FEATURES] == pytest.approx(5 * 0.30 + 21 * 0.10 + 3.00 + 1.00 + 3 * 0.40)  # 8.80
    assert fixed["archive, Slack webhook and Chatbot (no vendor stream)"] <= cost.CENTRAL_GOAL
    assert fixed["archive only (cdk.json defaults)"] <= cost.CENTRAL_GOAL
    # All features misses it by the vendor streams' six alarms and the three secrets ($1.80 together).
    assert fixed[cost.ALL_FEATURES] > cost.CENTRAL_GOAL >= fixed[cost.ALL_FEATURES] - 6 * 0.10 - 3 * 0.40
    table = cost.central_table()
    assert table.count("| not met |") == 2 and table.count("| met |") == 2


def test_a_forwarder_costs_at_most_ten_cents_a_month():
    assert cost.forwarder_fixed() <= 0.10


def test_estates_add_up():
    one = cost.estate(1, 1, 1_000_000, REPORT)
    big = cost.estate(30, 3, 1_000_000, REPORT)
    label = next(k for k in big if k.startswith("fixed: forwarders"))
    assert one[label] == 0 and big[label] == pytest.approx(89 * 0.10)
    bus = "per stop: EventBridge bus-to-bus, custom-event price"
    assert one[bus] == 0 and big[bus] == pytest.approx(1_000_000 * 89 / 90 / 1e6)  # 2 KB events: one 64 KB chunk each
    assert big["total"] == pytest.approx(sum(v for k, v in big.items() if k not in ("total",) and not k.startswith("instead")))
    per_stop = big["per stop: recorder pipeline (Firehose, Lambda, DynamoDB, S3, Logs, Athena)"]
    assert big[next(k for k in big if k.startswith("instead"))] == pytest.approx(90 * cost.central_fixed() + per_stop)
    assert big[next(k for k in big if k.startswith("instead"))] > 30 * big["total"]
    assert "30×3, 1,000,000 stops" in cost.estate_table(REPORT)


def test_dynamodb_line_uses_the_measured_write_units():
    # exactonce measured ~4.8 WRU per stop (transactions bill 2 WRU per item): the model must not assume 3
    measured = {**REPORT, "alert_logs": {"crash_loop_mix": {"wru_per_stop": 4.8, "rru_per_stop": 0.1,
                                                            "log_bytes_per_stop": 2000}}}
    items = cost.monthly(1_000_000, measured)
    line = next(k for k in items if k.startswith("DynamoDB"))
    assert items[line] == pytest.approx((4.8 * 0.625 + 0.1 * 0.125))
    logs = next(k for k in items if k.startswith("CloudWatch Logs"))
    assert items[logs] == pytest.approx(1_000_000 * 2000 / 1024**3 * 0.50)
