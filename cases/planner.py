"""Hints for SQLite's query planner, which has no statistics (the application never runs ANALYZE).

SQLite drives a query by whichever indexed condition looks most selective; for a case list that
is often the wrong one: "every case of my procedures" or "cases whose text matches a common
word" make it fetch tens of thousands of rows and sort them, when walking the newest cases
(the created_at index) and checking each would stop after a page. A unary plus ("+col") keeps a
condition from choosing the index while leaving its meaning unchanged. Other databases plan from
statistics and get the plain column.
"""
from django.db.models import Func


class Unindexed(Func):
    """The column, never used by SQLite to pick the driving index (unary +); plain elsewhere."""

    arity = 1
    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)
