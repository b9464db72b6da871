"""The public transparency site: ledger, grants, statistics, open data, live stream, language switch."""
