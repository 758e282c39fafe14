"""Helpers shared by more than one test package (issue 13: not imported across test packages)."""
