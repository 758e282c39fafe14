"""A ready-to-edit experiment file for one catalogue scenario (the ``new`` command's core).

The text is written by hand rather than dumped from a dict so that it can carry comments: every
scenario parameter appears with its documentation, required ones filled with placeholders that
validate (``us-east-1a``), optional ones commented out with their defaults. Placeholders are
written so that ``placeholders.find_placeholders`` recognises them: an unedited file validates
with warnings and its run cannot pass. The result always
passes ``load_experiment`` — the tests check that for every scenario in the catalogue.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from cdevops_chaos.durations import format_duration, parse_duration
from cdevops_chaos.faults.catalogue import Parameter, Scenario

# Values for parameters that often appear; anything else gets one from its type. Every value
# that stands for "yours here" is one that ``placeholders.PLACEHOLDER`` recognises (CHANGE-ME, an
# all-zero id), so a scaffold left unedited is reported, never run as if it were evidence.
_PLACEHOLDERS: dict[str, Any] = {
    "availability_zone": "us-east-1a",
    "vpc_id": "vpc-00000000000000000",
    "role_arn": "arn:aws:iam::123456789012:role/CHANGE-ME",
    "table_name": "CHANGE-ME",
    "function_name": "CHANGE-ME",
    "region": "us-east-1",
}


def _yaml_value(value: Any) -> str:
    """A flow-style YAML scalar or collection; JSON is valid YAML and quotes what needs it."""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_./:-]*", value):
        if value.lower() in ("yes", "no", "on", "off", "true", "false", "null", "y", "n"):
            return json.dumps(value, ensure_ascii=False)
        if re.fullmatch(r"[0-9._:-]+", value):
            return json.dumps(value, ensure_ascii=False)
        return value
    return json.dumps(value, ensure_ascii=False)


def placeholder(param: Parameter) -> Any:
    """A value for a required parameter that passes the scenario's checks."""
    if param.name in _PLACEHOLDERS:
        return _PLACEHOLDERS[param.name]
    if param.default is not None:
        return param.default
    if param.choices:
        return param.choices[0]
    return {
        "string": "CHANGE-ME",
        "integer": int(param.minimum or 1),
        "number": float(param.minimum or 1),
        "boolean": False,
        "duration": "1m",
        "map": {"CHANGE-ME": "CHANGE-ME"},
        "list": [],
    }[param.type]


def _max_duration(scenario: Scenario) -> float:
    """An hour, or twice the fault's default duration when that is longer."""
    param = scenario.parameters.get("duration")
    longest = 0.0
    if param is not None and param.type == "duration" and param.default is not None:
        longest = parse_duration(param.default)
    return max(3600.0, 2 * longest)


def _comment(text: str, indent: str) -> list[str]:
    words = " ".join(text.split())
    return [f"{indent}# {words}"] if words else []


def render(scenario: Scenario) -> str:
    """The experiment file for ``scenario`` as YAML text."""
    az = "us-east-1a"
    lines = [
        f"# Experiment for the scenario {scenario.id!r}: {scenario.title}.",
        "# Written by `cdevops-chaos new`. Edit the placeholders, then check it with",
        "#   cdevops-chaos validate <this file>",
        "version: 1.0.0",
        f"title: {_yaml_value(scenario.title + ' — experiment')}",
        "description: >",
    ]
    description = " ".join((scenario.description or scenario.title).split())
    lines += textwrap.wrap(description, 96, initial_indent="  ", subsequent_indent="  ")
    lines += [
        f"tags: [{scenario.id}]",
        "configuration:",
        "  aws_region: us-east-1",
        "extensions:",
        "  - name: cdevops",
        "    objectives:",
        "      rto: 5m               # recovery-time objective: healthy again within this",
        "      # rpo: 0s             # recovery-point objective; needs a canary (see below)",
        "    recovery:",
        "      stable_for: 30s       # healthy this long without interruption = recovered",
        "      timeout: 15m          # give up observing after this; not recovered = breached",
        "      measure_from: fault-start   # or fault-end, for faults the system can only ride out",
        "    # canary:               # writes sequenced records to measure data loss (RPO)",
        "    #   type: http",
        '    #   write: {url: "http://127.0.0.1:8080/orders", method: POST}',
        '    #   read: {url: "http://127.0.0.1:8080/orders/{id}"}',
        "    #   interval: 200ms",
        "    guards:",
        '      # accounts: ["123456789012"]   # the aws target refuses any other account',
        "      regions: [us-east-1]",
        f"      max_duration: {format_duration(_max_duration(scenario))}",
        "steady-state-hypothesis:",
        "  title: the service is healthy",
        "  probes:",
        "    - type: probe",
        "      name: target 5xx count stays under 5 a minute",
        "      tolerance: {type: range, range: [0, 5]}",
        "      provider:",
        "        type: python",
        "        module: cdevops_chaos.probes.cloudwatch",
        "        func: metric",
        "        arguments:",
        "          namespace: AWS/ApplicationELB",
        "          metric_name: HTTPCode_Target_5XX_Count",
        "          dimensions: {LoadBalancer: app/CHANGE-ME/0000000000000000}",
        "          stat: Sum",
        "          period: 60",
        "          window: 300",
        "          missing: ok        # no 5xx datapoints when all is well",
        "method:",
        "  - type: action",
        f"    name: {_yaml_value(scenario.id + ' in ' + az)}",
        "    provider:",
        "      type: python",
        "      module: cdevops_chaos.faults",
        "      func: inject",
        "      arguments:",
        f"        scenario: {scenario.id}",
    ]
    params = list(scenario.parameters.values())
    if params:
        lines.append("        parameters:")
    for param in params:
        need = "required" if param.required else "optional"
        lines += _comment(f"{param.type}, {need}: {param.doc}", "          ")
        if param.example is not None:
            lines.append(f"          {param.name}: {_yaml_value(param.example)}")
        elif param.required:
            lines.append(f"          {param.name}: {_yaml_value(placeholder(param))}")
        elif param.default is not None:
            lines.append(f"          # {param.name}: {_yaml_value(param.default)}   # default")
        else:
            lines.append(f"          # {param.name}: {_yaml_value(placeholder(param))}")
    if not any(p.required or p.example is not None for p in params):
        lines.append("          {}" if params else "")
    lines.append("rollbacks: []   # faults revert themselves; rollbacks are for extra clean-up")
    return "\n".join(line for line in lines if line != "") + "\n"
