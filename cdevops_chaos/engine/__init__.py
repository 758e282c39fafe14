"""The run engine: one experiment from guards to verdict (``lifecycle.run_experiment``).

Also here: the journal writer, the guards and the per-target lock, signal handling, live
progress, the live analysis seam, and ``cleanup`` for runs that were killed. The engine never
prints or exits; the CLI does.
"""
