"""The journal: the single result artefact of a run, as types (``model``), its tolerant reader
and writer (``codec``) and its files (``store``). See docs/journal.md."""

from cdevops_chaos.journal.model import Journal, RunRecord

__all__ = ["Journal", "RunRecord"]
