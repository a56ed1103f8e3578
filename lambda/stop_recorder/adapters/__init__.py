"""Thin wrappers around AWS and HTTP calls, so domain code stays free of boto3."""
