"""The local runner: wires the real handlers the way AWS would, from the synthesized template.

Not deployed (excluded from the Lambda asset); used by `stop-recorder demo` and the end-to-end tests.
"""
