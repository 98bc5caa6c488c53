"""Limits on what one request may ask: depth, aliases, directives and a cost where list sizes
come from `first` (checked before execution, with the request's variables), the number of
tokens of a document, and introspection. Each refusal carries a stable code in `extensions`.
The body size and the per-request deadline are the HTTP guard's (gateway/access.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    value_from_ast_untyped,
    visit,
)
from strawberry.extensions import SchemaExtension

from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE


@dataclass(frozen=True)
class Limits:
    """Defaults that ordinary queries never reach: a search page with provenance nests about
    ten levels, a few aliases, a cost in the low thousands."""

    max_depth: int = 12
    max_aliases: int = 30
    max_directives: int = 30
    max_cost: int = 50_000
    introspection: bool = True


@dataclass
class _Walk:
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    aliases: int = 0
    directives: int = 0
    depth: int = 0


def _argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    """The value a field's argument is given (a literal, or a variable's value); None if none."""
    for argument in node.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, dict(variables))
    return None


def _first(node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    value = _argument(node, "first", variables)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _representations(node: FieldNode, variables: Mapping[str, Any]) -> int:
    """How many representations an `_entities` field asks for (a literal list or a variable)."""
    value = _argument(node, "representations", variables)
    return len(value) if isinstance(value, list) else 1


def _selections(
    selection_set: SelectionSetNode | None, walk: _Walk, seen: frozenset[str]
) -> Iterator[tuple[FieldNode, frozenset[str]]]:
    """The fields of a selection set, fragments expanded (a fragment inside itself: skipped,
    the standard rules report the cycle)."""
    for selection in selection_set.selections if selection_set else ():
        walk.directives += len(selection.directives or ())
        if isinstance(selection, FieldNode):
            yield selection, seen
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, walk, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = walk.fragments.get(name)
            if fragment is not None and name not in seen:
                walk.directives += len(fragment.directives or ())
                yield from _selections(fragment.selection_set, walk, seen | {name})


def _cost(
    selection_set: SelectionSetNode | None,
    walk: _Walk,
    depth: int,
    seen: frozenset[str],
    introspecting: bool = False,
) -> int:
    """Every field costs 1, times the page sizes of the connections above it; a connection's
    items cost its `first` (or the default page) times what each item asks.

    In introspection, `ofType` does not count as a level: it is a chain with one field per link
    (GraphiQL asks for seven links of it), whereas `fields { type { fields … } }` fans out and
    still counts."""
    total = 0
    for field, inner_seen in _selections(selection_set, walk, seen):
        name = field.name.value
        inside = introspecting or name.startswith("__")
        step = 0 if inside and name == "ofType" else 1
        walk.depth = max(walk.depth, depth + step)  # fields nested in fields, the root ones at 1
        if field.alias is not None:
            walk.aliases += 1
        inner = _cost(field.selection_set, walk, depth + step, inner_seen, inside)
        has_first = any(a.name.value == "first" for a in field.arguments or ())
        # (a `first` above the page cap is refused by the list itself, with its own message)
        size = min(_first(field, walk.variables) or DEFAULT_PAGE, MAX_PAGE) if has_first else 1
        if name == "_entities":  # a router's batch: each representation is one item
            size = _representations(field, walk.variables)
        total += 1 + size * inner
    return total


def measure(document: Any, variables: Mapping[str, Any] | None) -> _Walk:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(fragments=fragments, variables=variables or {})
    cost = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk.directives += len(definition.directives or ())
            cost += _cost(definition.selection_set, walk, 0, frozenset())
    walk.cost = cost  # type: ignore[attr-defined]
    return walk


def refusal(message: str, code: str, limit: int, found: int) -> GraphQLError:
    return GraphQLError(
        f"{message}: {found}, at most {limit}",
        extensions={"code": code, "limit": limit, "found": found},
    )


# no database text holds these: NUL (PostgreSQL refuses it), a lone surrogate (not UTF-8, yet
# JSON may carry one: "\\ud800")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: Any) -> bool:
    """Whether a variable's value holds a string with a character no text may hold."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, Mapping):
        return any(unstorable(v) for v in value.values())
    if isinstance(value, list):
        return any(unstorable(v) for v in value)
    return False


class _UnstorableLiteral(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        if _UNSTORABLE.search(node.value):
            self.found = True
            return self.BREAK
        return None


def has_unstorable_string(document: Any, variables: Mapping[str, Any] | None) -> bool:
    finder = _UnstorableLiteral()
    visit(document, finder)
    return finder.found or unstorable(variables)


def limits_extension(limits: Limits) -> type[SchemaExtension]:
    """A schema extension checking `limits` before execution, with the request's variables."""

    class RequestLimits(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if document is not None and has_unstorable_string(document, context.variables):
                raise GraphQLError(
                    "a string argument holds a NUL character or a lone surrogate, which no text "
                    "may hold",
                    extensions={"code": "BAD_USER_INPUT"},
                )
            if document is not None and not limits.introspection:
                operations = [
                    d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                ]
                if "_service" in root_fields(operations, document):
                    raise GraphQLError(
                        "GraphQL introspection has been disabled: `_service` (the subgraph's "
                        "SDL) is refused too; compose from the published schema.graphql",
                        extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                    )
            if document is not None:
                walk = measure(document, context.variables)
                cost: int = walk.cost  # type: ignore[attr-defined]
                checks = (
                    ("the query is too deep", "QUERY_TOO_DEEP", limits.max_depth, walk.depth),
                    ("too many aliases", "TOO_MANY_ALIASES", limits.max_aliases, walk.aliases),
                    (
                        "too many directives",
                        "TOO_MANY_DIRECTIVES",
                        limits.max_directives,
                        walk.directives,
                    ),
                    (
                        "the query may return too much (its cost counts every field, times the "
                        "`first` of each list above it); ask for smaller pages",
                        "QUERY_TOO_COSTLY",
                        limits.max_cost,
                        cost,
                    ),
                )
                for message, code, limit, found in checks:
                    if found > limit:
                        raise refusal(message, code, limit, found)
            yield

    return RequestLimits


_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """A validation message without its "Did you mean …?" (field suggestions reveal the schema
    when introspection is off)."""
    return _SUGGESTION.sub("", message)


def root_fields(operations: list[Any], document: Any) -> set[str]:
    """The root fields an operation asks for, through inline fragments and fragment spreads
    (`{ ... on Query { structures … } }` asks for `structures`)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    pending = [op.selection_set for op in operations]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
    return names
