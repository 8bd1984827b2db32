"""Persistence: SQLAlchemy 2 Core (async) tables, Alembic migrations, repositories.

Every row a user owns carries ``user_id`` and every query on such rows filters by it.
"""
