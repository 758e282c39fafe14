"""The history of suite runs: the SQLite store (``store``), rows built from journals (``rows``),
trends and the regression rule (``trends``), trend charts (``charts``). Nothing here runs
experiments; ``suite`` runs them and hands the results over.
"""
