"""What storage raises, whichever engine is below."""

from __future__ import annotations


class DatabaseError(RuntimeError):
    """A database that cannot be used; the message is one line for the admin."""


class ConstraintError(Exception):
    """A write a constraint refused: a foreign key, a unique key, NOT NULL, CHECK."""


class ReadOnlyError(Exception):
    """A write on a reading connection."""
