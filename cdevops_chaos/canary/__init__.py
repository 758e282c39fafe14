"""The RPO canary: sequenced records written through the service during a run, read back after.

``CanaryRunner`` (``runner.py``) is what the engine holds: it starts the writer process
(``__main__.py``), whose ``Schedule`` (``schedule.py``) sends write *i* at ``t0 + i * interval``
on a bounded pool whatever earlier writes did, and streams each outcome through ``wire.py``; after
recovery ``readback.py`` reads the acknowledged records back until the service answers or a
deadline passes. ``ops.py`` holds the only I/O (one HTTP or DynamoDB write or read);
``journal.py`` builds the journal's ``cdevops.canary`` block. The data-loss arithmetic is not
here: it is ``recovery.rpo``, pure math over the ``CanaryWrite`` records this package produces.
"""

from cdevops_chaos.canary.journal import ScheduleReport, canary_block
from cdevops_chaos.canary.ops import record_id
from cdevops_chaos.canary.runner import CanaryRunner

__all__ = ["CanaryRunner", "ScheduleReport", "canary_block", "record_id"]
