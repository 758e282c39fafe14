"""Steady-state probes: CloudWatch metrics, metric math and alarms (``cloudwatch``), and their
batched evaluation and time series (``batch``) used by the engine."""
