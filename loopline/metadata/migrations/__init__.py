"""Alembic migrations of the Loopline database (see README.md in this folder)."""
