"""Aggregates, events, rules and errors of the grants programme. No I/O."""
