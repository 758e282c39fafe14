"""The lab's simulation of AWS Fault Injection Service (FIS), served by the lab gateway.

moto only records FIS experiments; this package makes them happen in the lab's simulated region.
Layout follows moto's service folders, one job per file: ``models.py`` (typed templates and
experiments, the explicit state machine), ``targets.py`` (target resolution), ``actions.py`` (the
actions the lab simulates and how each is undone), ``engine.py`` (the backend and its runner
threads), ``responses.py`` (the REST-JSON HTTP adapter), ``exceptions.py`` (AWS error codes).
"""

from cdevops_lab.fis.engine import FisEngine
from cdevops_lab.fis.responses import FisResponses

__all__ = ["FisEngine", "FisResponses"]
