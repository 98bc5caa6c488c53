"""Fields that serve a value of the object's private `row` as it is, or converted: most fields
of the types over a store row (`Source.nom`, `Commune.code`, `Change.at`…)."""

from collections.abc import Callable
from typing import Any

import strawberry


def row_field(returns: Any, description: str, read: Callable[[Any], Any], **options: Any) -> Any:
    """A field typed `returns` serving `read(self.row)` (`options`: strawberry's, such as
    `deprecation_reason`)."""

    def resolve(self: Any) -> Any:
        return read(self.row)

    resolve.__annotations__ = {"return": returns}
    return strawberry.field(resolver=resolve, description=description, **options)


def attribute(name: str, returns: Any, description: str) -> Any:
    """A field serving the attribute `name` of a row that is a store model."""

    def read(row: Any) -> Any:
        return getattr(row, name)

    return row_field(returns, description, read)


def item(
    key: str, returns: Any, description: str, convert: Callable[[Any], Any] | None = None
) -> Any:
    """A field serving `row[key]` of a row that is a mapping, through `convert` when given."""
    if convert is None:
        return row_field(returns, description, lambda row: row[key])
    return row_field(returns, description, lambda row: convert(row[key]))


def optional_item(
    key: str, returns: Any, description: str, convert: Callable[[Any], Any] | None = None
) -> Any:
    """A field serving `row.get(key)` (None when the row lacks it) of a mapping row, through
    `convert` when given (which then also gets the None)."""
    if convert is None:
        return row_field(returns, description, lambda row: row.get(key))
    return row_field(returns, description, lambda row: convert(row.get(key)))


def flag(key: str, description: str, default: bool, **options: Any) -> Any:
    """A Boolean field serving `row.get(key)` of a mapping row, `default` when it lacks it."""
    return row_field(bool, description, lambda row: bool(row.get(key, default)), **options)
