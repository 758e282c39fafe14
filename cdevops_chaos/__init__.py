"""cdevops-chaos: chaos experiments on AWS that measure recovery time and data loss.

The package is layered (see DESIGN.md §3): ``cli`` parses and prints, ``experiment`` loads and
validates, ``engine`` runs the lifecycle, ``probes``/``faults`` talk to AWS through clients built
in ``aws``, ``recovery`` holds the RTO/RPO math (no I/O), ``canary`` writes and reads back the
RPO canary's records, ``report`` renders journals, and ``lab`` is the embedded local region the
core never imports.
"""

__version__ = "0.1.0"
