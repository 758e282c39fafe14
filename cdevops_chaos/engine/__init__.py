"""The run engine: one experiment from guards to verdict (``run.run_experiment``).

One module per phase — ``steady`` (the hypothesis), ``faults`` (plan, inject, end on time,
revert), ``observe`` (the live loop), ``evidence`` (canary, series, analysis), ``judge`` (the
verdict) — ordered by ``run``; beside them the journal writer, the guards and the per-target
lock, signal handling, the progress seam, chaoslib glue (``ctk``) and ``cleanup`` for runs
that were killed. The engine never prints or exits; the CLI does.
"""
