"""The lab's additions to CloudWatch, which moto stores but neither evaluates nor feeds: the alarm
evaluator (``alarms.py``) and the metrics the simulated region publishes (``metrics.py``). This
is a simulation of a region, not CloudWatch.
"""
