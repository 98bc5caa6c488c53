"""An export's filter: query parameters (`?codeDepartement=35&thematiques=famille`) or the
command's `--filter codeDepartement=35` turned into the API's own filter input
(`StructureFilter`, `ServiceFilter`) and from it into the store's `Filter` by the API's own code
(`resolvers.filters.build_filter`), so each condition means exactly what it means in
`structures(filter: …)` / `services(filter: …)`: every field of those inputs is accepted, under
its GraphQL name (`codeDepartement`) or the schema's (`code_departement`). A list is given by
repeating the parameter or with commas (`thematiques=famille,sante`)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from datetime import date
from types import SimpleNamespace
from typing import Any

from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.filters import ServiceFilter, StructureFilter, build_filter
from store.cache import Cache
from store.listing import Filter
from store.reads import Reads

INPUTS: dict[str, Any] = {"structures": StructureFilter, "services": ServiceFilter}
MAX_VALUE_CHARS = 1000  # the API's bound on a string argument
MAX_LIST_ITEMS = 200  # and on a list


class FilterError(ValueError):
    """A filter the client can fix; `argument` names the parameter at fault."""

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def parameters(kind: str) -> dict[str, tuple[str, Any]]:
    """Accepted parameter names (GraphQL's and the schema's) -> (field, its type)."""
    cls = INPUTS[kind]
    hints = typing.get_type_hints(cls)
    out: dict[str, tuple[str, Any]] = {}
    for f in dataclasses.fields(cls):
        out[_camel(f.name)] = out[f.name] = (f.name, hints[f.name])
    return out


def _value(name: str, annotation: Any, texts: list[str]) -> Any:
    base = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(base) is list:
        items = [item.strip() for text in texts for item in text.split(",") if item.strip()]
        if len(items) > MAX_LIST_ITEMS:
            raise FilterError(f"`{name}`: at most {MAX_LIST_ITEMS} values", name)
        return items
    if len(texts) > 1:
        raise FilterError(f"`{name}` is given more than once", name)
    text = texts[0].strip()
    try:
        if base is float:
            return float(text)
        if base is date:
            return date.fromisoformat(text)
    except ValueError:
        expected = "a number" if base is float else "a date (YYYY-MM-DD)"
        raise FilterError(f"`{name}` must be {expected}, not {text[:50]!r}", name) from None
    return text


def filter_input(kind: str, pairs: Iterable[tuple[str, str]]) -> Any:
    """The API's filter input from (name, value) pairs (None: no condition)."""
    accepted = parameters(kind)
    given: dict[str, tuple[str, list[str]]] = {}
    for name, text in pairs:
        if name not in accepted:
            names = sorted(n for n in accepted if "_" not in n)
            raise FilterError(
                f"unknown filter {name[:50]!r} for {kind}; the filters are {', '.join(names)}",
                name[:50],
            )
        if len(text) > MAX_VALUE_CHARS:
            raise FilterError(f"`{name}`: at most {MAX_VALUE_CHARS} characters", name)
        field, _annotation = accepted[name]
        given.setdefault(field, (name, []))[1].append(text)
    if not given:
        return None
    values = {
        field: _value(name, accepted[field][1], texts) for field, (name, texts) in given.items()
    }
    return INPUTS[kind](**values)


def split_pairs(items: Iterable[str]) -> list[tuple[str, str]]:
    """`name=value` items (the command's `--filter`) as pairs."""
    out = []
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise FilterError(f"a filter is `name=value`, not {item[:50]!r}")
        out.append((name.strip(), value))
    return out


async def store_filter(
    kind: str, pairs: Iterable[tuple[str, str]], db: Reads, cache: Cache
) -> Filter | None:
    """The store's filter for these parameters, checked as the API checks its filter inputs
    (unknown enumeration values, territories or producers are a FilterError)."""
    given = filter_input(kind, pairs)
    if given is None:
        return None
    info: Any = SimpleNamespace(context=Context.build(db, cache))
    try:
        return await build_filter(info, given)
    except BadUserInput as exc:
        argument = (exc.extensions or {}).get("argument")
        raise FilterError(
            exc.message.replace("`filter.", "`"),
            str(argument).removeprefix("filter.") if argument else None,
        ) from None
