"""Helpers shared across test packages: ``procs`` (CLI subprocesses, fake AWS, free ports),
``labs`` (labs started through the real CLI, always stopped), ``chaos_world`` (a bare moto server
with a small publisher playing the service), ``observer`` (an HTTP client of the lab's ALB that
records what it saw). Test packages import from here, never from each other."""
