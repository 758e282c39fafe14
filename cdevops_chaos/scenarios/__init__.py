"""The code of the built-in scenarios, importable as ``cdevops_chaos.scenarios.<module>``.

A scenario is one folder of the catalogue (``scenarios/<id>/`` in a source checkout,
``cdevops_chaos/_scenarios/<id>/`` inside the wheel): ``scenario.yaml``, a README, a ready lab
experiment, an optional ``fis-template.json`` and optional code in ``<id with underscores>.py``.
This package has no modules of its own: its search path *is* those folders, so the code sitting
beside a scenario's metadata imports like any other module (``from
cdevops_chaos.scenarios.az_network_blackhole import AzNetworkBlackhole``). Which module implements
which scenario is ``faults.registry``'s business; nothing here builds an AWS client.
"""

from __future__ import annotations

from cdevops_chaos.faults.catalogue import builtin_scenario_dir

# One entry per scenario folder, so each folder's ``<module>.py`` is found by the normal import
# system. Module names are unique by construction (derived from the folder's unique id).
__path__ = [str(p) for p in sorted(builtin_scenario_dir().iterdir()) if p.is_dir()]
