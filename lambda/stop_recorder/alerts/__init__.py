"""Alerting: storm control, incident messages for Slack (Chatbot and webhook), and the alert flow."""
