"""An incident: everything a person needs in one Slack message, and its two renderings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from datetime import datetime, timezone
from urllib.parse import quote

from ..classifier import Classification
from ..diagnosis.render import evidence_lines, fit, tail_title
from ..events import StopEvent

_ICON = {"critical": ":red_circle:", "error": ":large_orange_circle:", "warning": ":large_yellow_circle:", "info": ":white_circle:"}


@dataclass(frozen=True)
class Incident:
    """One notification about a stopped task, possibly the Nth of a storm."""

    category: str
    severity: str
    summary: str
    hint: str
    reason: str
    cluster: str | None
    service: str | None
    task_id: str | None
    task_arn: str | None
    taskdef: str | None
    culprit: str | None
    region: str | None
    account: str | None
    count: int
    window_start: float
    now: float
    thread: str
    links: dict[str, str] = field(default_factory=dict)
    next_at: int | None = None

    account_name: str | None = None
    evidence: tuple[str, ...] = ()
    log_tail: tuple[str, ...] = ()
    log_tail_title: str | None = None

    @property
    def account_label(self) -> str | None:
        """The account as people know it: "name (id)" when a name is known, else the id."""
        if self.account_name and self.account:
            return f"{self.account_name} ({self.account})"
        return self.account

    @property
    def title(self) -> str:
        """Headline: severity, category and where."""
        where = self.service or self.taskdef or self.cluster or "task"
        repeat = f" ×{self.count}" if self.count > 1 else ""
        return f"{_ICON.get(self.severity, '')} {self.category}{repeat} in {where}".strip()

    @property
    def repeat_line(self) -> str | None:
        """For repeats: the exact count and the time window it covers."""
        if self.count <= 1:
            return None
        minutes = max(1, round((self.now - self.window_start) / 60))
        since = datetime.fromtimestamp(self.window_start, tz=timezone.utc).strftime("%H:%M UTC")
        later = f"next update at {self.next_at}" if self.next_at else "no further updates in this window"
        return f"{self.count} stops of this kind since {since} ({minutes} min); {later}."


def build_incident(event: StopEvent, verdict: Classification, *, count: int, window_start: float, now: float,
                   thread: str, athena_workgroup: str | None, log_location=None, next_at: int | None = None,
                   account_name: Callable[[str], str | None] | None = None, athena_region: str | None = None,
                   diagnosis=None) -> Incident:
    """Assemble the incident and its console links; account_name maps an account id to a display name."""
    task = event.task
    cluster, task_id = task.cluster_name, task.task_id
    definition = event.detail.get("taskDefinitionArn")
    taskdef = definition.rsplit("/", 1)[-1] if isinstance(definition, str) else None
    service = task.service_name
    culprit = verdict.culprit_container
    if culprit and verdict.culprit_exit_code is not None:
        culprit += f" (exit {verdict.culprit_exit_code}{', ' + verdict.culprit_signal if verdict.culprit_signal else ''})"
    region = event.region
    links = {}
    if region and cluster and task_id:
        console = f"https://{region}.console.aws.amazon.com"
        links["ECS task"] = f"{console}/ecs/v2/clusters/{cluster}/tasks/{task_id}/configuration?region={region}"
        location = log_location(definition, verdict.culprit_container, task_id) if log_location and definition else None
        if location:
            group, stream = location
            links["Logs"] = (f"{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{_cw(group)}"
                             + (f"/log-events/{_cw(stream)}" if stream else ""))
        if verdict.failed_to_start:
            links["Runbook"] = (f"{console}/systems-manager/automation/execute/AWSSupport-TroubleshootECSTaskFailedToStart"
                                f"?region={region}#ClusterName={cluster}&TaskId={task_id}")
        if athena_workgroup:
            # The workgroup lives with the recorder: in org mode the task's region is often another one.
            home = athena_region or region
            links["Athena"] = (f"https://{home}.console.aws.amazon.com/athena/home?region={home}"
                               f"#/query-editor?workgroup={quote(athena_workgroup)}")
    name = None
    if account_name and event.account:
        try:
            name = account_name(event.account)
        except Exception:  # noqa: BLE001 - a name is a nicety; the id is always shown
            name = None
    if diagnosis is not None and diagnosis.log_group and diagnosis.log_stream and region:
        links["Logs"] = (f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
                         f"{_cw(diagnosis.log_group)}/log-events/{_cw(diagnosis.log_stream)}")
    return Incident(verdict.category, verdict.severity, verdict.summary, verdict.hint,
                    task.stopped_reason or "", cluster, service, task_id, task.task_arn, taskdef, culprit, region,
                    event.account, count, window_start, now, thread, links, next_at, name,
                    evidence_lines(diagnosis) if diagnosis is not None else (),
                    diagnosis.log_tail if diagnosis is not None else (),
                    tail_title(diagnosis) if diagnosis is not None else None)


def _cw(value: str) -> str:
    """CloudWatch console paths double-encode: '/' becomes $252F."""
    return quote(value, safe="").replace("%", "$25")


def block_kit(incident: Incident) -> dict:
    """A Slack incoming-webhook payload in Block Kit."""
    facts = [("Cluster", incident.cluster), ("Service", incident.service), ("Task", incident.task_id),
             ("Task definition", incident.taskdef), ("Culprit", incident.culprit), ("Severity", incident.severity),
             ("Account", incident.account_label), ("Region", incident.region)]
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": incident.title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape(incident.summary)}*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{_escape(v)}"} for k, v in facts if v]},
    ]
    if incident.repeat_line:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": incident.repeat_line}]})
    if incident.reason:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Reason*\n```{_escape(incident.reason[:2800])}```"}})
    if incident.evidence:
        bullets = "\n".join(f"• {_escape(line)}" for line in incident.evidence)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(f"*Evidence*\n{bullets}")}})
    if incident.log_tail:
        tail = _escape("\n".join(incident.log_tail))
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": fit(f"*{_escape(incident.log_tail_title)}*\n```{tail}```")}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Fix*\n{_escape(incident.hint)}"}})
    if incident.links:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": name}, "url": url} for name, url in incident.links.items()]})
    return {"text": f"{incident.title}: {incident.summary}", "blocks": blocks}


def chatbot_notification(incident: Incident, event_id: str) -> dict:
    """An AWS Chatbot (Amazon Q Developer in chat applications) custom notification."""
    lines = [f"*{incident.summary}*", ""]
    lines += [f"• {k}: `{v}`" for k, v in (("Cluster", incident.cluster), ("Service", incident.service),
                                            ("Task", incident.task_id), ("Task definition", incident.taskdef),
                                            ("Culprit", incident.culprit), ("Account", incident.account_label),
                                            ("Region", incident.region)) if v]
    if incident.repeat_line:
        lines += ["", incident.repeat_line]
    if incident.reason:
        lines += ["", f"Reason: ```{incident.reason[:1500]}```"]
    if incident.evidence:
        lines += ["", "Evidence:"] + [f"• {line}" for line in incident.evidence]
    if incident.log_tail:
        lines += ["", f"{incident.log_tail_title}:", "```" + "\n".join(incident.log_tail) + "```"]
    next_steps = [incident.hint] + [f"<{url}|{name}>" for name, url in incident.links.items()]
    return {
        "version": "1.0",
        "source": "custom",
        "id": event_id,
        "content": {"textType": "client-markdown", "title": incident.title, "description": "\n".join(lines),
                    "nextSteps": next_steps, "keywords": [k for k in (incident.category, incident.cluster, incident.severity) if k]},
        "metadata": {"threadId": incident.thread, "summary": f"{incident.category}: {incident.summary}"[:200],
                     "eventType": "ECS Task Stopped", "relatedResources": [incident.task_arn] if incident.task_arn else [],
                     "additionalContext": {"count": str(incident.count)}},
    }


def _escape(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
