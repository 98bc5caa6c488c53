"""Connection fields from a territory or a producer to the merged records that belong to it
(`Departement.services`, `Source.structures`…), batched per request by the loaders."""

import importlib
from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.errors import Forbidden
from resolvers.pagination import AFTER_ARG, FIRST_ARG
from resolvers.root_pages import value_page

TYPES = {
    "structure": ("resolvers.structures.types", "Structure", "StructureConnection"),
    "service": ("resolvers.services.types", "Service", "ServiceConnection"),
}


def records_of(kind: str, field: str, key: Callable[[Any], str], description: str) -> Any:
    """A `first`/`after` connection of the merged records of `kind` holding `key(self)` in the
    filter field `field` (the golden values: `departement`, `source`…), ordered by id."""
    module, node_name, connection_name = TYPES[kind]

    async def resolve(
        self: Any, info: Info, first: int | None = None, after: str | None = None
    ) -> Any:
        if info.context.referential_only:
            raise Forbidden(
                f"anonymous access covers the territories and the referential only; `{kind}` "
                "records need a token"
            )
        types = importlib.import_module(module)
        return await value_page(
            info,
            kind,
            getattr(types, node_name),
            field,
            key(self),
            first=first,
            after=after,
            connection=getattr(types, connection_name),
        )

    resolve.__annotations__ = {
        "info": Info,
        "first": Annotated[int | None, FIRST_ARG],
        "after": Annotated[str | None, AFTER_ARG],
        "return": Annotated[connection_name, strawberry.lazy(module)],
    }
    return strawberry.field(resolver=resolve, description=description)


def records_in(field: str, key: Callable[[Any], str], structures: str, services: str) -> Any:
    """The `structures` and `services` fields of a territory or a producer: `records_of` both
    kinds, described by `structures` and `services`."""
    return (
        records_of("structure", field, key, structures),
        records_of("service", field, key, services),
    )


def located_in(field: str, place: str, note: str | None = None) -> Any:
    """The `structures` and `services` of a territory: the merged records located in `place`
    (`this région`), which `field` (`region`) holds the code of; `note`, what it includes."""
    return records_in(
        field,
        lambda self: self.row.code,
        f"The merged structures located in {place}{f' ({note})' if note else ''}, by id.",
        f"The merged services located in {place} ({f'{note}; ' if note else ''}a service "
        "without an address is where its structure is), by id.",
    )
