"""Limits on what one request may ask: depth, aliases, directives and a cost where list sizes
come from `first` (checked before execution, with the request's variables), the number of
tokens of a document, and introspection. Each refusal carries a stable code in `extensions`.
The body size and the per-request deadline are the HTTP guard's (gateway/access.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
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

from resolvers.errors import BadUserInput
from resolvers.filters import MAX_TEXTE_CHARS
from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE
from store.cpu import off_loop


@dataclass(frozen=True)
class Limits:
    """Defaults that ordinary queries never reach: a search page with provenance nests about
    ten levels, a few aliases, a cost in the low thousands.

    Every argument's value is bounded too, wherever it comes from (a literal, a variable, an
    input object's field, a JSON scalar): a string holds at most `max_string_chars` characters
    (an id, a code, a cursor, a search are far shorter), a list or an object at most
    `max_list_items` items (more than any enumeration has values: 108 networks), nested at most
    `max_nesting` deep. A few arguments have a bound of their own (`ARGUMENT_BOUNDS`)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_directives: int = 30
    max_cost: int = 50_000
    introspection: bool = True
    max_string_chars: int = 1_000
    max_list_items: int = 200
    max_nesting: int = 8


# arguments (or input fields) bounded otherwise than any argument, by name: characters of a
# string, items of a list
ARGUMENT_BOUNDS: Mapping[str, int] = {
    "texte": MAX_TEXTE_CHARS,  # a search of a few words (resolvers/filters.py says why)
    "representations": MAX_PAGE,  # a federation router's batch: one page of entities
}
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


class _Walk:
    """One pass over an operation's fields, stopping at the first limit crossed: the walk
    itself never costs more than `max_cost` visits, whatever the document."""

    def __init__(
        self,
        limits: Limits,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.limits, self.fragments, self.variables = limits, fragments, variables
        self.aliases = self.directives = self.depth = self.visits = self.cost = 0
        self._checked: set[int] = set()  # argument lists already checked (by node)

    def check(self, message: str, code: str, limit: int, found: int) -> None:
        if found > limit:
            raise refusal(message, code, limit, found)

    def visit(self, field: FieldNode, depth: int) -> None:
        limits = self.limits
        self.visits += 1
        self.depth = max(self.depth, depth)
        if field.alias is not None:
            self.aliases += 1
        self.check("the query is too deep", "QUERY_TOO_DEEP", limits.max_depth, self.depth)
        self.check("too many aliases", "TOO_MANY_ALIASES", limits.max_aliases, self.aliases)
        self.check(
            "too many directives", "TOO_MANY_DIRECTIVES", limits.max_directives, self.directives
        )
        # every field visited adds at least 1 to the cost: stop as soon as it cannot fit
        self.check(_COSTLY, "QUERY_TOO_COSTLY", limits.max_cost, self.visits)
        if field.arguments and id(field) not in self._checked:
            self._checked.add(id(field))
            for argument in field.arguments:
                value = value_from_ast_untyped(argument.value, self.variables)
                self.bound(value, argument.name.value, field.name.value)

    def argument(self, field: FieldNode, name: str) -> Any:
        """The value a field's argument is given (a literal, or a variable's value); None."""
        for argument in field.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def bound(self, value: Any, name: str, field: str) -> None:
        """Refuse a value with a string, a list or an object over its bound (BAD_USER_INPUT
        naming the argument: `filter.thematiques`)."""
        limits = self.limits
        pending: list[tuple[Any, str, int]] = [(value, name, 0)]
        while pending:
            item, where, depth = pending.pop()
            own = ARGUMENT_BOUNDS.get(where.rpartition(".")[2])
            if isinstance(item, str):
                _over(where, field, "characters", own or limits.max_string_chars, len(item))
            elif isinstance(item, list | Mapping):
                what = "items" if isinstance(item, list) else "entries"
                _over(where, field, what, own or limits.max_list_items, len(item))
                if depth >= limits.max_nesting and item:
                    _over(where, field, "levels of nesting", limits.max_nesting, depth + 1)
                if isinstance(item, list):
                    pending.extend((v, where, depth + 1) for v in item)
                    continue
                for key, v in item.items():
                    key = str(key)
                    _over(where, field, "characters in a key", limits.max_string_chars, len(key))
                    # input fields are names; a JSON scalar's keys are not echoed
                    inner = f"{where}.{key}" if _NAME.fullmatch(key) else where
                    pending.append((v, inner, depth + 1))


_COSTLY = (
    "the query may return too much (its cost counts every field, times the `first` of each "
    "list above it); ask for smaller pages"
)


def _over(where: str, field: str, what: str, limit: int, found: int) -> None:
    if found > limit:
        raise BadUserInput(
            f"`{where}` of `{field}`: {found} {what}, at most {limit}",
            argument=where,
            limit=limit,
            found=found,
        )


def _first(walk: _Walk, node: FieldNode) -> int | None:
    value = walk.argument(node, "first")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _representations(walk: _Walk, node: FieldNode) -> int:
    """How many representations an `_entities` field asks for (a literal list or a variable)."""
    value = walk.argument(node, "representations")
    return len(value) if isinstance(value, list) else 1


def _selections(
    selection_set: SelectionSetNode | None, walk: _Walk, visited: set[str]
) -> Iterator[FieldNode]:
    """The fields of a selection set, fragments expanded, each fragment once per selection set
    (as execution collects them: spreading one twice asks for nothing more)."""
    for selection in selection_set.selections if selection_set else ():
        walk.directives += len(selection.directives or ())
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, walk, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = walk.fragments.get(name)
            if fragment is not None and name not in visited:
                visited.add(name)
                walk.directives += len(fragment.directives or ())
                yield from _selections(fragment.selection_set, walk, visited)


def _cost(
    selection_set: SelectionSetNode | None,
    walk: _Walk,
    depth: int,
    introspecting: bool = False,
) -> int:
    """Every field costs 1, times the page sizes of the connections above it; a connection's
    items cost its `first` (or the default page) times what each item asks.

    In introspection, `ofType` does not count as a level: it is a chain with one field per link
    (GraphiQL asks for seven links of it), whereas `fields { type { fields … } }` fans out and
    still counts."""
    total = 0
    for field in _selections(selection_set, walk, set()):
        name = field.name.value
        inside = introspecting or name.startswith("__")
        step = 0 if inside and name == "ofType" else 1
        walk.visit(field, depth + step)  # fields nested in fields, the root ones at 1
        inner = _cost(field.selection_set, walk, depth + step, inside)
        has_first = any(a.name.value == "first" for a in field.arguments or ())
        # (a `first` above the page cap is refused by the list itself, with its own message)
        size = min(_first(walk, field) or DEFAULT_PAGE, MAX_PAGE) if has_first else 1
        if name == "_entities":  # a router's batch: each representation is one item
            size = _representations(walk, field)
        total += 1 + size * inner
    return total


def measure(document: Any, variables: Mapping[str, Any] | None, limits: Limits) -> _Walk:
    """Depth, aliases, directives, cost and every argument of `document`'s operations; the
    first limit crossed raises its refusal (a GraphQLError with its code)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(limits, fragments, dict(variables or {}))
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk.directives += len(definition.directives or ())
            walk.cost += _cost(definition.selection_set, walk, 0)
    walk.check("too many directives", "TOO_MANY_DIRECTIVES", limits.max_directives, walk.directives)
    walk.check(_COSTLY, "QUERY_TOO_COSTLY", limits.max_cost, walk.cost)
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


def check_request(limits: Limits, document: Any, variables: Mapping[str, Any] | None) -> None:
    """Refuse a document (and its variables) over a limit: raises the refusal."""
    if has_unstorable_string(document, variables):
        raise GraphQLError(
            "a string argument holds a NUL character or a lone surrogate, which no text may hold",
            extensions={"code": "BAD_USER_INPUT"},
        )
    if not limits.introspection:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if "_service" in root_fields(operations, document):
            raise GraphQLError(
                "GraphQL introspection has been disabled: `_service` (the subgraph's SDL) is "
                "refused too; compose from the published schema.graphql",
                extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
            )
    measure(document, variables, limits)


# A request this small is checked on the event loop: walking it takes tens of microseconds,
# less than handing it to a thread and back (which, under load, waits for the interpreter lock)
SMALL_QUERY_CHARS = 4_000
SMALL_VARIABLE_CHARS = 1_000
SMALL_VARIABLE_COUNT = 20


def _small(query: str | None, variables: Mapping[str, Any] | None) -> bool:
    if query is None or len(query) > SMALL_QUERY_CHARS:
        return False
    if not variables:
        return True
    if len(variables) > SMALL_VARIABLE_COUNT:
        return False
    for value in variables.values():
        items = value if isinstance(value, list) else [value]
        if len(items) > SMALL_VARIABLE_COUNT:
            return False
        for item in items:
            if isinstance(item, str):
                if len(item) > SMALL_VARIABLE_CHARS:
                    return False
            elif not (item is None or isinstance(item, bool | int | float)):
                return False  # an input object: walked in the pool
    return True


def limits_extension(limits: Limits) -> type[SchemaExtension]:
    """A schema extension checking `limits` before execution, with the request's variables,
    off the event loop (a document at the token limit takes a while to walk)."""

    class RequestLimits(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            context = self.execution_context
            document, variables = context.graphql_document, context.variables
            if document is not None:
                if _small(context.query, variables):  # cheaper than a hop to a thread
                    check_request(limits, document, variables)
                else:
                    await off_loop(check_request, limits, document, variables)
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
