"""A watchdog notice rendered for Slack: Block Kit for the incoming webhook, a custom notification for Chatbot."""

from __future__ import annotations

from datetime import datetime, timezone

from .evaluate import DELETED, DID_NOT_RUN, DISABLED, INVOCATION_FAILURES, NOT_SUCCEEDING, RECOVERED, Notice

_HEAD = {DID_NOT_RUN: (":red_circle:", "did not run"), NOT_SUCCEEDING: (":large_orange_circle:", "not succeeding"),
         INVOCATION_FAILURES: (":red_circle:", "schedule cannot start the task"),
         DISABLED: (":large_yellow_circle:", "schedule disabled"), DELETED: (":large_yellow_circle:", "schedule deleted"),
         RECOVERED: (":large_green_circle:", "OK")}


def title(notice: Notice) -> str:
    """Headline: state, family, and the repeat count for storms."""
    icon, label = _HEAD.get(notice.kind, ("", notice.kind))
    repeat = f" ×{notice.count}" if notice.kind != RECOVERED and notice.count > 1 else ""
    return f"{icon} Schedule watchdog: {notice.family} {label}{repeat}".strip()


def repeat_line(notice: Notice) -> str | None:
    """For a problem seen again, or a recovery: since when, and when the next update comes."""
    if notice.opened_at is None or (notice.kind != RECOVERED and notice.count <= 1):
        return None
    since = datetime.fromtimestamp(notice.opened_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    minutes = max(1, round((notice.now - notice.opened_at) / 60))
    if notice.kind == RECOVERED:
        return f"Open since {since} ({minutes} min, {notice.count} watchdog check(s))."
    later = f"next update at check {notice.next_at}" if notice.next_at else "no further updates while it lasts"
    return f"Still true at {notice.count} consecutive watchdog checks since {since} ({minutes} min); {later}."


def _facts(notice: Notice) -> list[tuple[str, str]]:
    where = f"{notice.account} / {notice.region}" if notice.account else notice.region
    return [("Family", notice.family), ("Schedule", notice.schedule), ("Account / region", where), *notice.facts.items()]


def block_kit(notice: Notice) -> dict:
    """A Slack incoming-webhook payload."""
    heading = title(notice)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": heading[:150], "emoji": True}},
              {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape(notice.summary)}*"}},
              {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{_escape(v)[:1900]}"} for k, v in _facts(notice) if v][:10]}]
    line = repeat_line(notice)
    if line:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    if notice.hint:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Fix*\n{_escape(notice.hint)}"}})
    if notice.links:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": name}, "url": url} for name, url in notice.links.items()]})
    return {"text": f"{heading}: {notice.summary}", "blocks": blocks}


def chatbot_notification(notice: Notice) -> dict:
    """An AWS Chatbot custom notification, threaded per schedule."""
    lines = [f"*{notice.summary}*", ""] + [f"• {k}: `{v}`" for k, v in _facts(notice) if v]
    line = repeat_line(notice)
    if line:
        lines += ["", line]
    return {"version": "1.0", "source": "custom", "id": notice.id[-128:],
            "content": {"textType": "client-markdown", "title": title(notice), "description": "\n".join(lines),
                        "nextSteps": [s for s in [notice.hint] if s] + [f"<{url}|{name}>" for name, url in notice.links.items()],
                        "keywords": [notice.kind, notice.family]},
            "metadata": {"threadId": notice.thread, "summary": f"{notice.family}: {notice.kind}"[:200],
                         "eventType": "Schedule watchdog", "additionalContext": {"count": str(notice.count)}}}


def _escape(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
