"""GraphQL documents parsed and validated off the event loop, and remembered within a budget.

A front-end sends the same few documents again and again: each is parsed and validated once
(several milliseconds for a search page), then taken from memory. A document at the token
limit can take seconds (graphql-core compares same-named fields pairwise when it validates):
that work runs in the CPU pool (`store/cpu.py`), so the event loop keeps answering meanwhile.

What is remembered is bounded by size, not only by count: a document longer than
`max_chars_each` is parsed every time, and the memory holds at most `budget_chars` characters
of documents (their syntax trees weigh some 40 to 80 bytes per character)."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse, print_ast
from graphql.error import GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import validate_document

from store.cpu import off_loop

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BUDGET_CHARS = 1_000_000
MAX_CHARS_EACH = 50_000


class Memo(Generic[K, V]):
    """A least-recently-used memory bounded by the total weight of its entries (and their
    count); an entry heavier than `max_weight_each` is not kept."""

    def __init__(self, max_weight: int, max_weight_each: int, max_entries: int = 2_000) -> None:
        self.max_weight, self.max_weight_each, self.max_entries = (
            max_weight,
            max_weight_each,
            max_entries,
        )
        self.weight = 0
        self._entries: OrderedDict[K, tuple[int, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        self._entries.move_to_end(key)
        return hit[1]

    def put(self, key: K, value: V, weight: int) -> None:
        self.pop(key)
        if weight > self.max_weight_each:
            return
        self._entries[key] = (weight, value)
        self.weight += weight
        while self.weight > self.max_weight or len(self._entries) > self.max_entries:
            _, (dropped, _) = self._entries.popitem(last=False)
            self.weight -= dropped

    def pop(self, key: K) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.weight -= old[0]


@dataclass
class _Parsed:
    document: DocumentNode
    # validation errors per set of rules (the rules are the same for every request of an app)
    errors: dict[tuple[Any, ...], list[GraphQLError]] = field(default_factory=dict)


class Documents:
    """The parsed and validated documents of one application."""

    def __init__(
        self, budget_chars: int = BUDGET_CHARS, max_chars_each: int = MAX_CHARS_EACH
    ) -> None:
        self._parsed: Memo[tuple[str, int | None], _Parsed] = Memo(budget_chars, max_chars_each)

    async def parse(self, query: str, max_tokens: int | None) -> DocumentNode:
        """The document of `query` (GraphQLSyntaxError: it cannot be parsed, or holds more
        than `max_tokens` tokens)."""
        known = self._parsed.get((query, max_tokens))
        if known is not None:
            return known.document
        document = await off_loop(parse, query, max_tokens=max_tokens)
        self._parsed.put((query, max_tokens), _Parsed(document), len(query))
        return document

    async def validate(
        self, query: str, max_tokens: int | None, schema: Any, document: Any, rules: Any
    ) -> list[GraphQLError]:
        """The validation errors of `document` (parsed from `query`) under `rules`."""
        known = self._parsed.get((query, max_tokens))
        rules = tuple(rules)
        if known is not None and known.document is document and rules in known.errors:
            return known.errors[rules]
        errors = await off_loop(validate_document, schema, document, rules)
        if known is not None and known.document is document:
            known.errors[rules] = errors
        return errors


class SeveralOperations(CannotGetOperationTypeError):
    """A document of several operations, none named by the request (the view answers 400)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(None)
        self.names = names

    def as_http_error_reason(self) -> str:
        return (
            f"give `operationName`: this document has {len(self.names)} operations: "
            + ", ".join(self.names)
        )


def operation_names(document: DocumentNode) -> list[str]:
    """The names of the document's operations, in order ("(anonymous)" for one without)."""
    return [
        d.name.value if d.name else "(anonymous)"
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def documents_extension(documents: Documents) -> type[SchemaExtension]:
    """An extension parsing and validating through `documents` (in place of strawberry's own
    parsing and validation, which run on the event loop)."""

    class OffLoopDocuments(SchemaExtension):
        async def on_parse(self) -> AsyncIterator[None]:
            context = self.execution_context
            if context.graphql_document is None and context.query:
                max_tokens = context.parse_options.get("max_tokens")
                context.graphql_document = await documents.parse(context.query, max_tokens)
            yield
            # strawberry runs the first operation when none is named (its `operation_name` is
            # then the first's); the spec refuses such a request
            named = getattr(context, "_provided_operation_name", None)
            if context.graphql_document is not None and named is None:
                names = operation_names(context.graphql_document)
                if len(names) > 1:
                    raise SeveralOperations(names)

        async def on_validate(self) -> AsyncIterator[None]:
            context = self.execution_context
            if (
                context.validation_rules
                and context.pre_execution_errors is None
                and context.graphql_document is not None
            ):
                context.pre_execution_errors = await documents.validate(
                    context.query or "",
                    context.parse_options.get("max_tokens"),
                    context.schema._schema,
                    context.graphql_document,
                    context.validation_rules,
                )
            yield

    return OffLoopDocuments


_SPACES = re.compile(r"\s+")
_NORMALISED: Memo[tuple[str, int], str] = Memo(BUDGET_CHARS, MAX_CHARS_EACH)


def _normalise(query: str, max_tokens: int) -> str:
    try:
        return print_ast(parse(query, max_tokens=max_tokens, no_location=True))
    except GraphQLSyntaxError:  # not a document, or too long: it will be refused anyway
        return _SPACES.sub(" ", query).strip()


async def normalised(query: str, max_tokens: int) -> str:
    """The document printed back from its syntax tree, so spacing, commas and comments do not
    make another entry of the response cache (off the event loop, remembered)."""
    known = _NORMALISED.get((query, max_tokens))
    if known is None:
        known = await off_loop(_normalise, query, max_tokens)
        _NORMALISED.put((query, max_tokens), known, len(query) + len(known))
    return known
