"""Use cases, the asyncpg event store, settings and the embedded PostgreSQL."""
