"""Ground truth of the lab: what its traffic really saw (``seconds.py``: per-second counters with
latency samples) and every event that happened (``events.py``). Tests and benchmarks compare
measured RTO/RPO against this record; the metrics publisher reads the same counters.
"""
