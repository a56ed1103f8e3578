"""Slack channels for watchdog notices: the same webhook and Chatbot topic the stop alerts use."""

from __future__ import annotations

from ..watchdog.evaluate import Notice
from ..watchdog.messages import block_kit, chatbot_notification
from .slack import ChatbotTopic, SlackWebhook


class NoticeWebhook:
    """Posts a notice as Block Kit through the stop alerts' webhook (same secret, retries and errors)."""

    name = "webhook"

    def __init__(self, webhook: SlackWebhook) -> None:
        self.webhook = webhook

    def post_notice(self, notice: Notice) -> None:
        """One post; NotifyError when Slack cannot take it."""
        self.webhook.post(block_kit(notice))


class NoticeChatbot:
    """Publishes a notice as a Chatbot custom notification to the alert topic, threaded per schedule."""

    name = "chatbot"

    def __init__(self, topic: ChatbotTopic) -> None:
        self.topic = topic

    def post_notice(self, notice: Notice) -> None:
        """One SNS publish; NotifyError when it fails."""
        self.topic.publish(chatbot_notification(notice))
