"""Experiment files: loading (YAML/JSON with source positions), validation, and the typed model.

Dicts come in from the file; ``model.Experiment`` leaves this package. Nothing here talks to AWS.
"""
