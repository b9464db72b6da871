"""The Litestar application, its pages, JSON API and the ``grants`` CLI."""
