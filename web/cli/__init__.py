"""The ``grants`` command line: serve, database, projections, ledger, export, privacy, demo."""
