"""The lab: a *simulation* of a small AWS region on 127.0.0.1, for running chaos experiments
and measuring recovery without an AWS account (see docs/lab.md).

Laid out like moto, one folder per simulated service plus the workload: ``gateway/`` (the
region's one endpoint, in front of moto server), ``fis/``, ``cloudwatch/`` (alarm evaluation,
the published metrics), ``ec2/`` (API faults, insufficient capacity, network ACLs that bite),
``dynamodb/`` (provisioned capacity), ``iam/`` (who signed a request), ``workload/`` (the "shop"
service that really serves traffic), ``truth/`` (what really happened, for tests and benchmarks).
``effects.py`` is the seam between control and data plane, ``periodic.py`` the one periodic
worker, ``process.py`` and ``cli.py`` run it in the background (``python -m cdevops_lab``).

The lab is a separate subsystem: it never imports the product (``cdevops_chaos``), and the
product never imports it (both checked by ``make lint``); the product runs it as a subprocess.
"""
