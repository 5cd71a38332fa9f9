"""Alembic revisions (a package so that installing the project ships them)."""
