"""Context validation: a bad value names the key and what it accepts."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from stacks.config import ConfigError, RecorderConfig, load_config


def config(**context):
    return load_config(context.get)


def test_defaults_match_cdk_json():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    from_file = load_config(context.get)
    assert from_file == RecorderConfig()


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
    ({"slackWorkspaceId": "T0123"}, r"slackWorkspaceId and slackChannelId"),
])
def test_bad_values_name_the_key_and_the_allowed_values(context, message):
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_synth_fails_fast_on_bad_config():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, check=False,
                            env={"CDK_CONTEXT_JSON": json.dumps({"datadogSite": "mars"}), "PATH": "/usr/bin:/bin",
                                 "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"})
    assert result.returncode == 1
    assert "invalid configuration: datadogSite: 'mars' not allowed" in result.stderr


def test_readme_documents_every_record_field_and_category():
    from stop_recorder.schema import FIELDS
    from stop_recorder.taxonomy import CATEGORIES

    readme = (ROOT / "README.md").read_text()
    missing = [f.name for f in FIELDS if f"| `{f.name}` |" not in readme]
    missing += [c for c in CATEGORIES if f"| `{c}` |" not in readme]
    assert missing == []
