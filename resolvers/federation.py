"""Apollo Federation v2: the entities other subgraphs may extend, each with its key.

`Structure` and `Service` by `id`, `Source` by `slug`, `Region`, `Departement`, `Epci` and
`Commune` by `code`. A router resolves a list of representations with one `_entities` field;
each representation goes through `resolve_reference`, which loads through the request's
loaders, so N representations of one type cost the statements of one batch, and see exactly
what the same consumer sees through the root fields (visibility, personal data)."""

from __future__ import annotations

from typing import Any, Final

from strawberry import UNSET
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

# the version of the federation spec the subgraph's SDL links: both Apollo's composer and
# The Guild's accept 2.9 (The Guild's refuses 2.10 and 2.11, strawberry's default)
FEDERATION_VERSION: Final = "2.9"


# each entity's key field, as the `@key` directives on the types say
ENTITY_KEYS = {
    "Structure": "id",
    "Service": "id",
    "Source": "slug",
    "Commune": "code",
    "Epci": "code",
    "Departement": "code",
    "Region": "code",
}


def representation_problem(representation: Any) -> str | None:
    """What is wrong with one representation a router sent (None: nothing): an object with a
    `__typename` among the entities and its key, a string, and nothing else."""
    if not isinstance(representation, dict):
        return "must be an object with `__typename` and the entity's key"
    typename = representation.get("__typename")
    if typename not in ENTITY_KEYS:
        return f"`__typename` must be one of {', '.join(sorted(ENTITY_KEYS))}, got {typename!r}"
    key_field = ENTITY_KEYS[typename]
    if not isinstance(representation.get(key_field), str):
        return f"a {typename} is represented by its `{key_field}`, a string"
    extra = sorted(set(representation) - {"__typename", key_field})
    if extra:
        return f"a {typename} is represented by `{key_field}` alone, not {', '.join(extra)}"
    return None


def key(fields: str) -> Key:
    """The `@key` directive of an entity."""
    return Key(fields=FieldSet(fields), resolvable=UNSET)  # `resolvable: true` is the default
