"""Opt-in SQL statement count per GraphQL request (GATEWAY_REPORT_SQL_STATEMENTS).

When on, every response carries `extensions: {"sqlStatements": N}`: the statements the engine
ran for that operation, transaction control (BEGIN / COMMIT / ROLLBACK) and SQLite PRAGMAs left
out. A `before_cursor_execute` listener on the engine adds to a counter that a contextvar points
at; the schema extension sets a fresh counter for each operation, so concurrent requests count
apart (tasks, dataloader batches and SQLAlchemy's greenlets all inherit the request's context).
Statements run outside an operation (/readyz, start-up) are not counted. Off, nothing is
installed: no listener, no extension.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

EXTENSION_KEY = "sqlStatements"
IGNORED_PREFIXES = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")


class _Counter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


_current: ContextVar[_Counter | None] = ContextVar("gateway_sql_statements", default=None)


def _count_statement(
    _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    counter = _current.get()
    if counter is not None and not statement.lstrip().upper().startswith(IGNORED_PREFIXES):
        counter.count += 1


def install(engine: AsyncEngine) -> None:
    """Count the statements of `engine` (idempotent)."""
    sync_engine = engine.sync_engine
    if not event.contains(sync_engine, "before_cursor_execute", _count_statement):
        event.listen(sync_engine, "before_cursor_execute", _count_statement)


def uninstall(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine
    if event.contains(sync_engine, "before_cursor_execute", _count_statement):
        event.remove(sync_engine, "before_cursor_execute", _count_statement)


class SQLStatementReport(SchemaExtension):
    """Puts the operation's statement count in the response's `extensions`."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._counter = _Counter()

    def on_operation(self) -> Iterator[None]:
        token = _current.set(self._counter)
        try:
            yield
        finally:
            _current.reset(token)

    def get_results(self) -> dict[str, Any]:
        return {EXTENSION_KEY: self._counter.count}
