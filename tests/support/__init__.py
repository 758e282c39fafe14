"""Helpers shared by more than one test package (worlds, clocks, labs, observers): test
packages import from here, never from each other."""
