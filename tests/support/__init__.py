"""Helpers shared by test packages (worlds, clocks, observers)."""
