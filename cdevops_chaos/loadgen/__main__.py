"""Entry point of the Locust child process that ``traffic-spike`` starts.

``python -m cdevops_chaos.loadgen --run-id ID --run-pid PID --run-started T --expires-at ISO --
<locust arguments>``: the arguments before ``--`` are markers only — they put the run's id and
its process on the child's command line, so ``cleanup`` can tell whose load generator this is
and whether that run is still alive. Everything after ``--`` is handed to Locust's own ``main``.
This is the only place (with the locustfile) that imports Locust.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    if "--" not in argv:
        sys.stderr.write("usage: python -m cdevops_chaos.loadgen --run-id ID ... -- LOCUST-ARGS\n")
        raise SystemExit(2)
    theirs = argv[argv.index("--") + 1 :]
    sys.argv = ["locust", *theirs]
    from locust.main import main as locust_main

    locust_main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main(sys.argv[1:])
