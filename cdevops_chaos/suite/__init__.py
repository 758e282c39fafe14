"""Suites: the file model and its validation (``model``, ``load``), which entries may run at
once (``planner``), the runner of one worker process per entry (``runner``), the gate's policy
on verdicts (``policy``) and the suite index (``index``). History and notifications live in
their own packages.
"""
