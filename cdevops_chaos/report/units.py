"""The unit of a probe's values, for chart axes and the report: what the journal says, else
the unit AWS documents for a well-known metric, else nothing (and the report says so).

GetMetricData returns values without units, so a probe's unit is not measured: it comes from
the probe record (``ProbeRecord.unit``, when an engine recorded one) or from this table of the
CloudWatch metrics teams put in hypotheses (AWS's documented unit per metric; the lab publishes
its metrics under the same names and units). ``SampleCount`` is a count whatever the metric.
A pure lookup: no AWS calls.
"""

from __future__ import annotations

from cdevops_chaos.journal.model import ProbeRecord

# (namespace, metric) -> unit, as AWS documents them (a metric's unit does not change with stat)
_KNOWN: dict[tuple[str, str], str] = {
    ("AWS/ApplicationELB", "RequestCount"): "Count",
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): "Count",
    ("AWS/ApplicationELB", "HTTPCode_Target_4XX_Count"): "Count",
    ("AWS/ApplicationELB", "HTTPCode_Target_2XX_Count"): "Count",
    ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"): "Count",
    ("AWS/ApplicationELB", "HealthyHostCount"): "Count",
    ("AWS/ApplicationELB", "UnHealthyHostCount"): "Count",
    ("AWS/ApplicationELB", "TargetResponseTime"): "Seconds",
    ("AWS/ApplicationELB", "ActiveConnectionCount"): "Count",
    ("AWS/EC2", "CPUUtilization"): "Percent",
    ("AWS/EC2", "StatusCheckFailed"): "Count",
    ("AWS/RDS", "ReplicaLag"): "Seconds",
    ("AWS/RDS", "CPUUtilization"): "Percent",
    ("AWS/RDS", "DatabaseConnections"): "Count",
    ("AWS/DynamoDB", "ThrottledRequests"): "Count",
    ("AWS/DynamoDB", "ReadThrottleEvents"): "Count",
    ("AWS/DynamoDB", "WriteThrottleEvents"): "Count",
    ("AWS/DynamoDB", "SuccessfulRequestLatency"): "Milliseconds",
    ("AWS/DynamoDB", "ReplicationLatency"): "Milliseconds",
    ("AWS/DynamoDB", "SystemErrors"): "Count",
    ("AWS/Lambda", "Errors"): "Count",
    ("AWS/Lambda", "Throttles"): "Count",
    ("AWS/Lambda", "Invocations"): "Count",
    ("AWS/Lambda", "Duration"): "Milliseconds",
    ("Lab/Shop", "ErrorRate"): "Percent",
    ("Lab/Shop", "SuccessRate"): "Percent",
    ("Lab/Shop", "LatencyP50"): "Milliseconds",
    ("Lab/Shop", "LatencyP99"): "Milliseconds",
    ("Lab/Shop", "ReplicaLag"): "Seconds",
}


def probe_unit(probe: ProbeRecord) -> str | None:
    """The unit of ``probe``'s values, or None when nothing says it."""
    if probe.unit:
        return probe.unit
    query = probe.query_fields
    if query.stat == "SampleCount":
        return "Count"
    if query.namespace and query.metric_name:
        return _KNOWN.get((query.namespace, query.metric_name))
    return None


def axis_label(probe: ProbeRecord) -> str:
    """``Minimum HealthyHostCount (Count)``; ``value (unit not known)`` for an expression."""
    query = probe.query_fields
    unit = probe_unit(probe)
    what = " ".join(x for x in (query.stat, query.metric_name) if x) or "value"
    return f"{what} ({unit})" if unit else f"{what} (unit not known)"
