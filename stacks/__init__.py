"""The CDK side of stop-recorder: one Stack composed of one construct per concern."""
