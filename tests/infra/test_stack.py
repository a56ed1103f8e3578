"""Assertions on the synthesized template: default config and both vendors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from stop_recorder.schema import FIELDS


def only(resources: dict) -> dict:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))["Properties"]


def capture_rule(stack) -> dict:
    """The one event-pattern rule (the schedule watchdog adds a scheduled rule of its own)."""
    return only({k: v for k, v in stack.resources("AWS::Events::Rule").items() if "EventPattern" in v["Properties"]})


def test_rule_matches_stopped_ecs_tasks(default_stack):
    rule = capture_rule(default_stack)
    assert rule["EventPattern"] == {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                                    "detail": {"lastStatus": ["STOPPED"]}}


def test_rule_can_be_narrowed_to_clusters(synth):
    rule = capture_rule(synth(clusters="prod,arn:aws:ecs:us-east-1:111122223333:cluster/batch"))
    assert rule["EventPattern"]["detail"]["clusterArn"] == [{"suffix": ":cluster/prod"},
                                                            "arn:aws:ecs:us-east-1:111122223333:cluster/batch"]


def test_a_cluster_list_too_long_for_an_event_pattern_fails_synth_naming_the_key(tmp_path):
    """EventBridge refuses an event pattern over 2048 characters (its default quota, 4096 after an increase):
    80 cluster names passed config and synth, then the deploy failed on the rule. Now synth says so, by key.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"""
    from conftest import CDK_JSON_CONTEXT

    from app import build
    from stacks.config import ConfigError

    many = [f"payments-cluster-{i:03d}" for i in range(80)]
    with pytest.raises(ConfigError, match=r"clusters: 80 clusters make the capture rule's event pattern \d+ characters; "
                                          r"EventBridge accepts 2048"):
        build({**CDK_JSON_CONTEXT, "clusters": ",".join(many)}, outdir=str(tmp_path))
    from stacks.capture import PATTERN_LIMIT, event_pattern

    fits = many[:40]
    pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": event_pattern(fits)}
    assert len(json.dumps(pattern, separators=(",", ":"))) <= PATTERN_LIMIT


@pytest.mark.parametrize("stack_name", ["default_stack", "vendor_stack"])
def test_every_target_has_retry_policy_and_its_own_dlq(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    targets = capture_rule(stack)["Targets"]
    dlqs = [t["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for t in targets]
    assert len(set(dlqs)) == len(targets)
    for target, dlq in zip(targets, dlqs):
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        # Datadog accepts log events at most 18 hours old; vendor targets give up before that and leave
        # the event in their DLQ, while the archive and alert targets retry for the full day.
        # https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/
        vendor = dlq.startswith(("CaptureNewrelicDlq", "CaptureDatadogDlq"))
        age = target["RetryPolicy"]["MaximumEventAgeInSeconds"]
        assert age <= 18 * 3600 if vendor else age == 86400, dlq
    queues = stack.resources("AWS::SQS::Queue")
    policies = stack.resources("AWS::SQS::QueuePolicy").values()
    for dlq in dlqs:
        assert queues[dlq]["Properties"]["SqsManagedSseEnabled"] is True
        statements = [s for p in policies if {"Ref": dlq} in p["Properties"]["Queues"]
                      for s in p["Properties"]["PolicyDocument"]["Statement"]]
        assert any(s.get("Principal") == {"Service": "events.amazonaws.com"} and s["Action"] == "sqs:SendMessage"
                   for s in statements), f"{dlq} does not let EventBridge send"


def test_archive_stream_writes_gzip_day_partitions_and_error_prefix(default_stack):
    stream = only(default_stack.resources("AWS::KinesisFirehose::DeliveryStream"))
    s3 = stream["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == "stopped-tasks/dt=!{timestamp:yyyy-MM-dd}/"
    assert s3["ErrorOutputPrefix"] == "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
    assert s3["CompressionFormat"] == "GZIP"
    processor = s3["ProcessingConfiguration"]["Processors"][0]
    params = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert processor["Type"] == "Lambda" and params["BufferSizeInMBs"] == "1"
    assert stream["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "AWS_OWNED_CMK"


def test_archive_bucket_is_locked_down(default_stack):
    buckets = default_stack.resources("AWS::S3::Bucket")
    archive = next(b["Properties"] for k, b in buckets.items() if k.startswith("ArchiveBucket"))
    assert archive["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert archive["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                         "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert archive["VersioningConfiguration"]["Status"] == "Enabled"
    assert archive["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 400
    for key, bucket in buckets.items():
        assert bucket["DeletionPolicy"] == "Retain", key
    tls = [s for p in default_stack.resources("AWS::S3::BucketPolicy").values()
           for s in p["Properties"]["PolicyDocument"]["Statement"]
           if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert len(tls) == len(buckets)


def test_retention_is_configurable(synth):
    buckets = synth(archiveRetentionDays="30").resources("AWS::S3::Bucket")
    archive = next(b["Properties"] for k, b in buckets.items() if k.startswith("ArchiveBucket"))
    assert archive["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30


def test_glue_table_matches_the_record_schema_with_projection(default_stack):
    tables = {t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
              for t in default_stack.resources("AWS::Glue::Table").values()}
    assert set(tables) == {"stopped_tasks", "stop_diagnoses"}  # stop_diagnoses: stacks/diagnosis.py
    table = tables["stopped_tasks"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [(f.name, f.glue_type) for f in FIELDS]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string", "Comment": "Delivery day, yyyy-MM-dd (UTC)"}]
    params = table["Parameters"]
    assert params["projection.enabled"] == "true" and params["projection.dt.type"] == "date"
    assert params["projection.dt.range"].endswith(",NOW")
    assert "stopped-tasks/dt=${dt}/" in json.dumps(params["storage.location.template"])
    assert not default_stack.resources("AWS::Glue::Crawler")


def test_athena_workgroup_enforces_its_settings(default_stack):
    config = only(default_stack.resources("AWS::Athena::WorkGroup"))["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == 1024 * 1024 * 1024
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"


def test_named_queries_cover_the_questions_users_ask(default_stack):
    names = {q["Properties"]["Name"] for q in default_stack.resources("AWS::Athena::NamedQuery").values()}
    assert {"stops-by-category-and-cluster", "tasks-that-failed-to-start", "crash-loops", "batch-runs",
            "batch-success-ratio", "image-and-architecture-problems"} <= names


def test_default_config_ships_to_no_vendor(default_stack):
    assert len(default_stack.resources("AWS::KinesisFirehose::DeliveryStream")) == 1
    assert not default_stack.resources("AWS::SecretsManager::Secret")


def test_both_vendors_get_independent_streams_with_secrets(vendor_stack):
    streams = vendor_stack.resources("AWS::KinesisFirehose::DeliveryStream")
    http = {k: v["Properties"]["HttpEndpointDestinationConfiguration"] for k, v in streams.items()
            if "HttpEndpointDestinationConfiguration" in v["Properties"]}
    assert len(streams) == 3 and len(http) == 2
    by_url = {c["EndpointConfiguration"]["Url"]: c for c in http.values()}
    newrelic = by_url["https://aws-api.eu.newrelic.com/firehose/v1"]
    datadog = by_url["https://aws-kinesis-http-intake.logs.ap2.datadoghq.com/api/v2/logs?dd-protocol=aws-kinesis-firehose"]
    assert newrelic["BufferingHints"]["SizeInMBs"] == 1 and datadog["BufferingHints"]["SizeInMBs"] == 4
    for vendor, config in (("newrelic", newrelic), ("datadog", datadog)):
        assert config["RequestConfiguration"]["ContentEncoding"] == "GZIP"
        assert config["SecretsManagerConfiguration"]["Enabled"] is True
        assert "AccessKey" not in config["EndpointConfiguration"]
        assert config["S3BackupMode"] == "FailedDataOnly"
        assert config["S3Configuration"]["Prefix"].startswith(f"failed/{vendor}/")
        assert config["ProcessingConfiguration"]["Processors"][0]["Type"] == "Lambda"
    assert len(vendor_stack.resources("AWS::SecretsManager::Secret")) == 2


def test_no_key_material_in_the_template(vendor_stack):
    text = json.dumps(vendor_stack.template)
    assert "AccessKey" not in text and "api_key\":\"" not in text
    for secret in vendor_stack.resources("AWS::SecretsManager::Secret").values():
        assert "SecretString" not in secret["Properties"]


def test_lambdas_run_python313_on_arm64_with_pinned_powertools(default_stack):
    for function in default_stack.resources("AWS::Lambda::Function").values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13" and props["Architectures"] == ["arm64"]
        layer = json.dumps(props["Layers"])
        assert "AWSLambdaPowertoolsPythonV3-python313-arm64:27" in layer and ":017000801446:" in layer
        assert "TracingConfig" not in props and props["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_tracing_is_opt_in_for_the_alert_lambda(synth):
    functions = synth(tracing="true").resources("AWS::Lambda::Function")
    modes = {k.split("Function")[0][:14]: v["Properties"].get("TracingConfig", {}).get("Mode") for k, v in functions.items()}
    assert sorted(modes.values(), key=str) == ["Active", None, None]  # processor and watchdog stay untraced
    alert = next(v for k, v in functions.items() if k.startswith("AlertingAlertFunction"))
    assert alert["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_lambda_asset_is_the_runtime_package_plus_the_arm64_wheels(default_stack):
    paths = {json.dumps(f["Properties"]["Code"]) for f in default_stack.resources("AWS::Lambda::Function").values()}
    assert len(paths) == 1, "every function deploys the same asset"
    [asset] = [p for p in default_stack.outdir.iterdir() if p.name.startswith("asset.") and (p / "stop_recorder").exists()]
    package = asset / "stop_recorder"
    assert (package / "handlers" / "processor.py").exists() and (package / "handlers" / "alert.py").exists()
    assert not (package / "local").exists() and not (package / "samples").exists() and not (package / "cli.py").exists()
    assert not (asset / "requirements.txt").exists()
    # Bytecode only for the runtime's python3.13, compiled at bundle time (stacks/bundling.py): never a local cache.
    assert all(p.name.endswith(".cpython-313.pyc") for p in asset.rglob("__pycache__/*"))
    [compiled] = list((asset / "orjson").glob("*.so"))
    assert "cpython-313-aarch64-linux-gnu" in compiled.name
    [automaton] = list(asset.glob("ahocorasick*.so"))  # the classifier's needle scan (rules.NeedleScanner)
    assert "cpython-313-aarch64-linux-gnu" in automaton.name


def test_missing_wheel_fails_synth_with_the_fix(monkeypatch, tmp_path):
    from stacks import bundling

    monkeypatch.setattr(bundling, "WHEELS", tmp_path)
    with pytest.raises(bundling.MissingWheel, match=r"orjson==3\.13\.0 for python3\.13/arm64 .* run `make setup`"):
        bundling.LocalWheelBundling().try_bundle(str(tmp_path / "out"), image=None)


@pytest.mark.parametrize("stack_name", ["default_stack", "vendor_stack"])
def test_cdk_nag_has_no_unacknowledged_findings_and_every_ack_has_a_reason(request, stack_name):
    report = request.getfixturevalue(stack_name).report
    nag = next(p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["violations"] == []
    assert nag["conclusion"] == "success"
    for suppressed in nag["suppressedViolations"]:
        assert len(suppressed["reason"]) > 40, suppressed["acknowledgedId"]


@pytest.mark.parametrize("stack_name", ["default_stack", "vendor_stack"])
def test_cfn_lint_finds_nothing(request, stack_name, tmp_path):
    """Errors and warnings both: make lint exits non-zero on a warning (suppressions live in .cfnlintrc.yaml)."""
    path = tmp_path / "template.json"
    path.write_text(json.dumps(request.getfixturevalue(stack_name).template))
    # The console script: `python -m cfnlint` does not run in cfn-lint 1.x. Run from the repo root so
    # the project's .cfnlintrc.yaml applies, as in make lint.
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", str(path)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
