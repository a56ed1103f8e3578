"""What the alert handler's cold import leaves undone: work only the watchdog, custom rules or a matching stop need.

Speed itself is measured by make bench (cold import against a bare botocore DynamoDB client); these tests keep
the work out of the import, in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

PROBE = """
import json, sys
import stop_recorder.handlers.alert
from stop_recorder.rules import BUILTIN_RULES
print(json.dumps({"modules": sorted(sys.modules), "compiled": sum(bool(r._compiled) for r in BUILTIN_RULES),
                  "rules": len(BUILTIN_RULES)}))
"""


def _fresh_alert_import() -> dict:
    env = {**os.environ, "STORM_TABLE": "storm", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true",
           "PYTHONPATH": str(ROOT / "lambda")}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_alert_handler_imports_neither_the_watchdog_nor_the_rule_checker():
    modules = set(_fresh_alert_import()["modules"])
    assert "stop_recorder.watchdog.runs" in modules  # the family ledger's run: the alert path needs it
    # ...nor the diagnosis modules: only a notification that asks for evidence imports them
    unused = {"croniter", "stop_recorder.watchdog.service", "stop_recorder.watchdog.evaluate",
              "stop_recorder.watchdog.expressions", "stop_recorder.watchdog.model", "stop_recorder.rulecheck",
              "stop_recorder.diagnosis.gather", "stop_recorder.diagnosis.platform", "stop_recorder.adapters.evidence"}
    assert not unused & modules


def test_importing_the_rules_compiles_none_of_their_regexes():
    found = _fresh_alert_import()
    assert found["rules"] > 40 and found["compiled"] == 0
