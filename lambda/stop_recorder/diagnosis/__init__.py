"""Evidence for thin stops, gathered in the alert path: the image's platforms, the task's CPU
architecture and the culprit container's last log lines. Pure domain code; AWS calls live in
adapters/evidence.py behind the EvidenceSource protocol (gather.py)."""
