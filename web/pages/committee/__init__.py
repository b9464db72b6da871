"""The committee workspace: queue, file, scoring and the actions on a file."""
