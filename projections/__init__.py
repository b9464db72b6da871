"""Read models: projections of the event log into tables the pages read.

The hooks for the CLI and the app live in :mod:`projections.registry`: ``ALL_PROJECTIONS``,
``run_all``, ``status``, ``rebuild``, ``ensure_all``.
"""
