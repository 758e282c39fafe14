"""The load generator's side of ``traffic-spike``: what runs *inside* the Locust child process.

``__main__`` is the child's entry point (``python -m cdevops_chaos.loadgen --run-id ... --
<locust arguments>``: the run id on its command line lets ``cleanup`` find it), ``locustfile``
the Locust user and load shape, ``shapes`` the pure users-over-time arithmetic, ``stats`` the
reader of Locust's CSV history for the journal. Only ``__main__`` and ``locustfile`` import
Locust, and only in the child: the run, ``--help`` and ``validate`` never import it. The fault
that starts and stops the child lives in ``scenarios/traffic-spike/``.
"""
