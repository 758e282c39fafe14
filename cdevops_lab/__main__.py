"""``python -m cdevops_lab``: the lab's command line (``cli.py``)."""

import sys

from cdevops_lab.cli import main

sys.exit(main())
