"""Read models built from the event log: queues, dashboards, the public ledger, statistics."""
