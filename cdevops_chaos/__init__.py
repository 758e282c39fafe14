"""cdevops-chaos: chaos experiments on AWS that measure recovery time and data loss.

The package is layered (docs/design.md §3): ``cli`` parses and prints, ``experiment`` loads and
validates, ``engine`` runs the lifecycle, ``probes``/``faults`` talk to AWS through clients built
in ``aws``, ``journal`` is the typed result of a run, ``recovery`` holds the RTO/RPO math (pure),
``canary`` writes and reads back the RPO canary's records, and ``report`` renders journals. The
embedded local region is ``cdevops_lab``, a separate package this one never imports.
"""

__version__ = "0.1.0"
