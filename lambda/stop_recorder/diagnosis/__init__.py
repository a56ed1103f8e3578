"""Evidence for thin stops, gathered in the alert path: the image's platforms, the task's CPU
architecture and the culprit container's last log lines. Pure domain code; AWS calls live in
adapters/evidence.py behind the EvidenceSource protocol (gather.py)."""

ROLE_NAME_PREFIX = "stop-recorder-diagnosis-"


def role_name(region: str) -> str:
    """The read-only role a forwarder stack creates for the central recorder; IAM is global, so one per region."""
    return f"{ROLE_NAME_PREFIX}{region}"
