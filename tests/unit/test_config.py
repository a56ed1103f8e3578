"""Context validation: a bad value names the key and what it accepts."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import ROOT

from stacks.config import ConfigError, RecorderConfig, context_keys, load_config


def config(**context):
    return load_config(context)


def test_defaults_match_cdk_json():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    from_file = load_config(context)
    assert from_file == RecorderConfig()


def test_cdk_json_has_every_key():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert sorted(k for k in context if not k.startswith("@")) == sorted(context_keys())


def test_every_cdk_json_key_is_documented_in_the_readme():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    readme = (ROOT / "README.md").read_text()
    for key in (k for k in context if not k.startswith("@")):
        assert re.search(rf"`{key}`", readme), f"{key} is not documented in README.md"


def test_values_parse():
    parsed = config(destinations="datadog, NewRelic", newRelicRegion="eu", datadogSite="US5", clusters="prod, batch",
                    archiveRetentionDays="30", redactArchive="false", slackWebhook=True)
    assert parsed.destinations == ("datadog", "newrelic")
    assert (parsed.new_relic_region, parsed.datadog_site, parsed.clusters) == ("EU", "us5", ("prod", "batch"))
    assert (parsed.archive_retention_days, parsed.redact_archive, parsed.slack_webhook) == (30, False, True)


@pytest.mark.parametrize("context,message", [
    ({"destinations": "splunk"}, r"destinations: splunk not allowed; use a comma list of: newrelic, datadog"),
    ({"newRelicRegion": "APAC"}, r"newRelicRegion: 'APAC' not allowed; use one of: US, EU"),
    ({"datadogSite": "us2"}, r"datadogSite: 'us2' not allowed; use one of: us1, us3, us5, eu, ap1, ap2, gov"),
    ({"archiveRetentionDays": "forever"}, r"archiveRetentionDays: 'forever' not allowed; use a whole number from 1 to 36500"),
    ({"archiveRetentionDays": 0}, r"archiveRetentionDays"),
    ({"redactArchive": "maybe"}, r"redactArchive: 'maybe' not allowed; use true or false"),
    ({"customRules": "[{\"category\": \"made.up\", \"pattern\": \"x\"}]"}, r"category 'made.up' is not one of"),
    ({"notifyCategories": "container.crashed,nope"}, r"notifyCategories: unknown categories nope"),
    ({"stormThresholds": "100,10"}, r"stormThresholds.*strictly increase"),
    ({"slackWorkspaceId": "T0123ABCD"}, r"slackWorkspaceId and slackChannelId"),
])
def test_bad_values_name_the_key_and_the_allowed_values(context, message):
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_readme_documents_every_record_field_and_category():
    from stop_recorder.schema import FIELDS
    from stop_recorder.taxonomy import CATEGORIES

    readme = (ROOT / "README.md").read_text()
    missing = [f.name for f in FIELDS if f"| `{f.name}` |" not in readme]
    missing += [c for c in CATEGORIES if f"| `{c}` |" not in readme]
    assert missing == []


# --- issue #10: values that used to be accepted, misread, or crash synth with a traceback -------------

@pytest.mark.parametrize("context,message", [
    ({"destnations": "datadog"}, r"destnations: unknown key; did you mean 'destinations'\?"),
    ({"datadogsite": "eu"}, r"datadogsite: unknown key; did you mean 'datadogSite'\?"),
    ({"slackWebHook": "true"}, r"did you mean 'slackWebhook'\?"),
    ({"zzzTop": "1"}, r"zzzTop: unknown key; see the configuration table"),
])
def test_unknown_keys_are_rejected_with_a_did_you_mean(context, message):
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_cdk_own_context_keys_are_not_ours_to_reject():
    parsed = config(**{"@aws-cdk/core:newStyleStackSynthesis": True, "aws:cdk:enable-path-metadata": True,
                       "acknowledged-issue-numbers": [12345], "availability-zones:account=1:region=x": ["a"]})
    assert parsed == RecorderConfig()


def test_a_getter_cannot_list_keys_so_it_checks_values_only():
    assert load_config({"destnations": "x"}.get) == RecorderConfig()
    with pytest.raises(ConfigError, match="datadogSite"):
        load_config({"datadogSite": "mars"}.get)


@pytest.mark.parametrize("context,message", [
    ({"redactArchive": ""}, r"redactArchive: '' not allowed; use true or false"),
    ({"slackWebhook": "  "}, r"slackWebhook: .* not allowed; use true or false"),
    ({"archiveRetentionDays": "٣٠"}, r"archiveRetentionDays: '٣٠' not allowed; use a whole number from 1 to 36500"),
    ({"archiveRetentionDays": "³"}, r"archiveRetentionDays: '³' not allowed"),
    ({"archiveRetentionDays": "1e3"}, r"archiveRetentionDays: '1e3' not allowed"),
    ({"archiveRetentionDays": 30.5}, r"archiveRetentionDays: a number \(30.5\) not allowed"),
    ({"archiveRetentionDays": True}, r"archiveRetentionDays: a boolean"),
    ({"stormThresholds": "²,10"}, r"stormThresholds: '²,10' not allowed; use a comma list of whole numbers"),
    ({"stormWindowMinutes": "６０"}, r"stormWindowMinutes: '６０' not allowed"),
    ({"clusters": "my cluster"}, r"clusters: 'my cluster' not allowed; use a comma list of ECS cluster names"),
    ({"clusters": "prod-*"}, r"clusters: 'prod-\*' not allowed"),
    ({"clusters": ["prod", 7]}, r"clusters: .* not allowed; use a comma list of ECS cluster names"),
    ({"slackWorkspaceId": "hello", "slackChannelId": "C0123ABCD"}, r"slackWorkspaceId: 'hello' not allowed; use a Slack workspace \(team\) id"),
    ({"slackWorkspaceId": "T0123ABCD", "slackChannelId": "#alerts"}, r"slackChannelId: '#alerts' not allowed; use a Slack channel id such as C"),
    ({"newRelicRegion": ["US"]}, r"newRelicRegion: a list \(\[\"US\"\]\) not allowed; use one of: US, EU"),
    ({"slackChannelId": ["C0123ABCD"]}, r"slackChannelId: a list .* not allowed"),
    ({"stackName": "My Stack!"}, r"stackName: 'My Stack!' not allowed; use a CloudFormation stack name"),
    ({"stackName": "1recorder"}, r"stackName: '1recorder' not allowed"),
    ({"stackName": "a" * 129}, r"stackName: 'a+' not allowed"),
    ({"notifyCategories": ["container.crashed", 3]}, r"notifyCategories: .* not allowed; use a comma list of category ids"),
])
def test_values_that_were_accepted_or_crashed_now_name_the_key_and_what_is_allowed(context, message):
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        config(destnations="datadog", archiveRetentionDays="³", stackName="My Stack!")
    assert [line.split(":")[0].strip() for line in str(caught.value).splitlines()] == [
        "destnations", "stackName", "archiveRetentionDays"]


def test_json_types_from_cdk_json_and_strings_from_dash_c_read_the_same():
    from_json = config(archiveRetentionDays=30, redactArchive=False, clusters=["prod", "batch"], destinations=["datadog"],
                       stormThresholds=[5, 50], notifyCategories=["container.crashed"],
                       customRules=[{"id": "a", "category": "unknown", "pattern": "x"}])
    from_cli = config(archiveRetentionDays="30", redactArchive="false", clusters="prod,batch", destinations="datadog",
                      stormThresholds="5,50", notifyCategories="container.crashed",
                      customRules='[{"id": "a", "category": "unknown", "pattern": "x"}]')
    assert from_json == from_cli
    assert from_json.storm_thresholds == "5,50" and json.loads(from_json.custom_rules)[0]["id"] == "a"


def test_valid_names_and_ids_pass():
    parsed = config(clusters="prod_1,arn:aws:ecs:eu-west-1:123456789012:cluster/batch-2", stackName="Recorder-prod",
                    slackWorkspaceId="T012AB3CDE", slackChannelId="G012AB3CDE")
    assert parsed.clusters == ("prod_1", "arn:aws:ecs:eu-west-1:123456789012:cluster/batch-2")
    assert (parsed.stack_name, parsed.chatbot_enabled) == ("Recorder-prod", True)


def rule(**fields):
    return json.dumps([{"id": "r1", "category": "network.unreachable", "pattern": "proxy refused", **fields}])


@pytest.mark.parametrize("rules,message", [
    (rule(hint=42), r"customRules: customRules\[0\] \(r1\): hint must be a string of 1 to 1000 characters, got a number"),
    (rule(summary=["x"]), r"summary must be a string .* got a list"),
    (rule(category=["container.crashed"]), r"category \['container.crashed'\] is not one of: image.not_found"),
    (rule(pattern=7), r"pattern must be a non-empty regular expression string, got a number"),
    (rule(pattern="(unclosed"), r"pattern does not compile: missing \)"),
    (rule(severity="critical"), r"unknown field\(s\) severity; allowed: id, category, pattern, summary, hint"),
    (rule(id="has space"), r"id 'has space' not allowed"),
    (json.dumps([{"category": "unknown", "pattern": "x"}]), r"id \(missing\) not allowed"),
    (rule(pattern="(a+)+$"), r"pattern nests a variable-length quantifier inside a repeated group"),
    (rule(pattern="(x+x+)+y"), r"nests a variable-length quantifier"),
    (rule(pattern="(a?){25}a{25}"), r"nests a variable-length quantifier"),
    (rule(pattern="(a|ab)*c"), r"repeats an alternation whose branches can start with the same character"),
    (rule(pattern="(?:error|err)+!"), r"repeats an alternation"),
    (rule(summary="{tail:>999999999}"), r"summary field \{tail\} may not carry a format spec or conversion"),
    (rule(summary="{container!r}"), r"summary field \{container\} may not carry a format spec"),
    (rule(summary="{tail.__class__}"), r"summary field \{tail.__class__\} not allowed; use only \{tail\}, \{container\}, \{image_ref\}"),
    (rule(summary="{0}"), r"summary field \{0\} not allowed"),
    (rule(summary="unbalanced {"), r"summary is not a valid template"),
    (json.dumps([{"id": "a", "category": "unknown", "pattern": "x"}] * 2), r"id 'a' is used twice"),
    (json.dumps({"id": "a"}), r"customRules must be a JSON list of objects"),
    ("[{'id': 'single-quoted'}]", r"customRules: not valid JSON .*quote it: see README"),
])
def test_custom_rules_are_validated_field_by_field(rules, message):
    with pytest.raises(ConfigError, match=message):
        config(customRules=rules)


def test_safe_rewrites_of_the_catastrophic_patterns_are_accepted():
    for pattern in ("(?>a+)+$", "(a++)+$", "(?:foo|bar)+", r"[a-z]+-[0-9]+", r"(\w|\d)+", "proxy\\.corp: connection refused"):
        assert config(customRules=rule(pattern=pattern)).custom_rules


def test_a_polynomial_pattern_the_static_check_misses_is_caught_by_the_bounded_run():
    with pytest.raises(ConfigError, match=r"customRules: pattern\(s\) '\.\*a\.\*a\.\*b' take more than half a second"):
        config(customRules=rule(pattern=".*a.*a.*b"))


def test_the_lambda_loader_rejects_what_synth_rejects():
    from stop_recorder.rules import RuleError, load_custom_rules
    from stop_recorder.settings import ConfigError as EnvError, ProcessorSettings

    for bad in (rule(hint=42), rule(pattern="(a+)+$"), rule(summary="{tail:>999999999}")):
        with pytest.raises(RuleError):
            load_custom_rules(bad)
        with pytest.raises(EnvError, match="CUSTOM_RULES"):
            ProcessorSettings.from_env({"CUSTOM_RULES": bad})


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
                           lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
                           max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(context_keys())), value=json_values)
def test_any_value_for_any_key_parses_or_raises_config_error(key, value):
    try:
        config(**{key: value})
    except ConfigError as error:
        assert key in str(error) or "slackWorkspaceId" in str(error)


def test_synth_prints_every_problem_without_a_traceback():
    import subprocess
    import sys

    context = {"destnations": "datadog", "archiveRetentionDays": "٣٠", "stackName": "My Stack!", "redactArchive": "",
               "customRules": rule(hint=42), "datadogSite": "mars"}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, check=False,
                            env={"CDK_CONTEXT_JSON": json.dumps(context), "PATH": "/usr/bin:/bin",
                                 "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "stop-recorder: invalid configuration: destnations: unknown key; did you mean 'destinations'?" in result.stderr
    for key in context:
        assert f"\n  {key}:" in result.stderr or f"configuration: {key}:" in result.stderr
    assert "datadogSite: 'mars' not allowed; use one of: us1, us3, us5, eu, ap1, ap2, gov" in result.stderr


JSON_RULES = '[{"id": "x", "category": "unknown", "pattern": "(?:refused|reset)$", "summary": "it\'s a -c trap"}]'


def test_make_synth_keeps_the_quotes_and_dollars_of_a_json_value():
    import subprocess

    result = subprocess.run(["make", "-s", "synth", f"CDK_ARGS=-c customRules={JSON_RULES} -c destinations=datadog"],
                            cwd=ROOT, capture_output=True, text=True, check=False, env={**__import__("os").environ, "CDK_DRY_RUN": "1"})
    command = json.loads(result.stdout.splitlines()[0])
    assert command[-4:] == ["-c", f"customRules={JSON_RULES}", "-c", "destinations=datadog"]
    assert json.loads(command[-3].partition("=")[2])[0]["pattern"] == "(?:refused|reset)$"


@pytest.mark.parametrize("raw,argv", [
    ("", []),
    ("-c destinations=newrelic,datadog", ["-c", "destinations=newrelic,datadog"]),
    (f"-c customRules={JSON_RULES} --profile prod", ["-c", f"customRules={JSON_RULES}", "--profile", "prod"]),
    (f"-c 'customRules={JSON_RULES.replace(chr(39), '')}'", ["-c", f"customRules={JSON_RULES.replace(chr(39), '')}"]),
    ("--context=customRules=[not json", ["-c", "customRules=[not json"]),
])
def test_cdk_args_are_split_with_json_values_whole(raw, argv):
    from tools.cdk_args import split_cdk_args

    assert split_cdk_args(raw) == argv


@pytest.mark.parametrize("context,message", [
    # Accepted, then synth died in jsii: "A PolicyStatement used in an identity-based policy must specify at
    # least one resource" (the evidence reader's logs:GetLogEvents grant had no log group), naming no key.
    ({"diagnosisLogGroups": ""}, r"diagnosisLogGroups: empty not allowed; use a comma list of log group names.*logTailLines=0"),
    ({"diagnosisLogGroups": " , "}, r"diagnosisLogGroups: empty not allowed"),
    ({"diagnosisLogGroups": []}, r"diagnosisLogGroups: empty not allowed"),
    # Accepted, synthesized and linted (default name only), then CloudFormation refused the stream names at deploy:
    # a Firehose delivery stream name is 1-64 characters and the recorder names its streams <stackName>-newrelic.
    # https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html
    ({"stackName": "a" * 56}, r"stackName: 'a{56}' not allowed; .*at most 55 characters"),
    ({"stackName": "a" * 128}, r"stackName: .* not allowed; .*at most 55"),
])
def test_values_that_synth_or_deploy_would_refuse_fail_at_config_with_the_key(context, message):
    with pytest.raises(ConfigError, match=message):
        config(**context)

