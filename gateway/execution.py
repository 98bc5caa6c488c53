"""Execution a level at a time: the answer of a query built from the schema's own resolvers,
without graphql-core's per-field machinery.

graphql-core resolves an answer one field of one object at a time: for each it builds a
resolve info, converts arguments, runs the middleware, calls the resolver through strawberry's
wrappers, then completes the value — some tens of microseconds per field, and a search page has
about a thousand fields. Here, a selection set is planned once per level of the answer (its
fields collected as graphql-core collects them, their arguments converted as strawberry converts
them, one `Info` per field), then run over every object of the level at once: each field's
resolver is called directly on each object, the async ones all started before any is awaited
(so the request's loaders batch a whole level in one statement), and the leaves coerced with
their type's own `coerce_output_value`.

What this does not reproduce, it leaves to graphql-core: an operation that is not a query, a
field with strawberry field extensions, an abstract type, introspection, `@defer` / `@stream`,
nested lists. And when anything goes wrong while running — a resolver raising, a null where the
schema says non-null, a value of the wrong shape — the plan is dropped and graphql-core executes
the operation from the start, so that errors, their paths and null propagation are exactly
graphql-core's. Loaders keep what they fetched, so that second run costs little SQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from inspect import isawaitable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments

SLICE_S = 0.02  # how long a level runs before it lets the event loop answer others
_CHUNK = 128  # objects completed between two looks at the clock
_PLAIN = (str, int, float, bool, type(None), list, dict, tuple)
_TYPENAME = "__typename"


class _Unsupported(Exception):
    """This selection is left to graphql-core."""


class _Field:
    """One response key of a selection set, planned for one object type."""

    __slots__ = (
        "call",
        "exact",
        "field_nodes",
        "item_nullable",
        "key",
        "kind",
        "leaf",
        "nullable",
        "sub_type",
        "typename",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        self.typename: str | None = None  # `__typename`: the constant answer
        self.call: Callable[[Any], Any] = _none
        self.kind = "leaf"  # "leaf" | "object" | "leaf-list" | "object-list"
        self.nullable = True
        self.item_nullable = True
        self.leaf: Callable[[Any], Any] | None = None  # a leaf's coercion
        self.exact: type | None = None  # values of this Python type are served as they are
        self.sub_type: GraphQLObjectType | None = None
        self.field_nodes: list[FieldDetails] = []


def _none(_obj: Any) -> Any:
    return None


def _attribute(default: Callable[[Any, str], Any], name: str, obj: Any) -> Any:
    return default(obj, name)


class LevelExecution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, running queries a level at a time when it can."""

    # how many operations were left to graphql-core: at planning, and after a failed run
    unplanned = 0
    fallbacks = 0

    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        position_context: Any,
    ) -> Any:
        if serially or position_context is not None or self.operation.operation.value != "query":
            return super().execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )
        try:
            plan = self._plan(root_type, grouped_field_set, None)
        except _Unsupported:
            LevelExecution.unplanned += 1
            return super().execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )
        return self._run_root(root_type, root_value, grouped_field_set, plan, position_context)

    async def _run_root(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        plan: list[_Field],
        position_context: Any,
    ) -> Any:
        self._slice_started = time.perf_counter()
        try:
            return (await self._complete(plan, [root_value]))[0]
        except Exception:
            LevelExecution.fallbacks += 1
        result = super().execute_root_grouped_field_set(
            root_type, root_value, grouped_field_set, False, position_context
        )
        return await result if isawaitable(result) else result

    # --- planning ------------------------------------------------------------------------

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any, path: Path | None
    ) -> list[_Field]:
        """The fields of one selection set on `parent_type`, ready to run on its objects."""
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        config = strawberry_schema.config
        registry = strawberry_schema.schema_converter.scalar_registry
        plan: list[_Field] = []
        for key, details in grouped_field_set.items():
            first = details[0]
            if first.defer_usage is not None or first.fragment_variable_values is not None:
                raise _Unsupported
            node = first.node
            name = node.name.value
            field = _Field(key)
            field.field_nodes = details
            if name == _TYPENAME:
                field.typename = parent_type.name
                plan.append(field)
                continue
            if name.startswith("__"):
                raise _Unsupported  # introspection
            field_def = parent_type.fields.get(name)
            if field_def is None:
                raise _Unsupported
            definition = field_def.extensions.get("strawberry-definition")
            if definition is None or definition.extensions:
                raise _Unsupported
            self._shape(field, field_def.type)
            args = (
                get_argument_values(
                    field_def, node, self.variable_values, None, self.hide_suggestions
                )
                if field_def.args or node.arguments
                else {}
            )
            field_path = Path(path, key, parent_type.name)
            resolver = definition.base_resolver
            if resolver is None:
                python_name = definition.python_name
                default = config.default_resolver
                field.call = partial(_attribute, default, python_name)
            else:
                info = None
                if resolver.info_parameter is not None:
                    raw = self.build_resolve_info(
                        field_def, [d.node for d in details], parent_type, field_path
                    )
                    info = config.info_class(_raw_info=raw, _field=definition)
                kwargs = convert_arguments(
                    args, definition.arguments, scalar_registry=registry, config=config, info=info
                )
                if resolver.info_parameter is not None:
                    kwargs[resolver.info_parameter.name] = info
                field.call = _caller(resolver, kwargs)
            plan.append(field)
        return plan

    @staticmethod
    def _shape(field: _Field, graphql_type: GraphQLOutputType) -> None:
        if isinstance(graphql_type, GraphQLNonNull):
            field.nullable = False
            graphql_type = graphql_type.of_type
        if isinstance(graphql_type, GraphQLList):
            item = graphql_type.of_type
            if isinstance(item, GraphQLNonNull):
                field.item_nullable = False
                item = item.of_type
            if isinstance(item, GraphQLList):
                raise _Unsupported
            if is_leaf_type(item):
                field.kind, field.leaf = "leaf-list", item.coerce_output_value
                field.exact = _EXACT.get(item.name)
            elif is_object_type(item):
                field.kind, field.sub_type = "object-list", item
            else:
                raise _Unsupported
        elif is_leaf_type(graphql_type):
            field.leaf = graphql_type.coerce_output_value
            field.exact = _EXACT.get(graphql_type.name)
        elif is_object_type(graphql_type):
            field.kind, field.sub_type = "object", graphql_type
        else:
            raise _Unsupported

    def _subplan(self, field: _Field) -> list[_Field]:
        assert field.sub_type is not None
        collected = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            field.sub_type,
            field.field_nodes,
            self.hide_suggestions,
        )
        grouped, new_defer_usages, _forbidden = collected
        if new_defer_usages:
            raise _Unsupported
        return self._plan(field.sub_type, grouped, None)

    # --- running -------------------------------------------------------------------------

    async def _complete(self, plan: list[_Field], objects: Sequence[Any]) -> list[dict[str, Any]]:
        """The answers of these objects (all of one type) to one selection set."""
        n = len(objects)
        columns: list[list[Any]] = []
        waiting = _Waiting()
        try:
            # every resolver of the level first: the async ones run until they wait (their
            # loaders then hold every key of the level), then are resumed together
            for field in plan:
                if field.typename is not None:
                    columns.append([field.typename] * n)
                    continue
                call = field.call
                values = [call(o) for o in objects]
                columns.append(values)
                for i, v in enumerate(values):
                    if not isinstance(v, _PLAIN) and isawaitable(v):
                        waiting.start(values, i, v)
                if n > _CHUNK:
                    await self._breathe()
            await waiting.finish()
        except BaseException:
            waiting.close()
            raise
        # then what the objects hold, a level below, all at once
        nested = [
            self._complete_column(field, columns[index])
            for index, field in enumerate(plan)
            if field.typename is None and field.kind in ("object", "object-list")
        ]
        for outcome in await asyncio.gather(*nested, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        out: list[dict[str, Any]] = []
        for index, field in enumerate(plan):
            if field.typename is None and field.kind in ("leaf", "leaf-list"):
                columns[index] = _coerce(field, columns[index])
        keys = [f.key for f in plan]
        for i in range(n):
            out.append({k: column[i] for k, column in zip(keys, columns, strict=True)})
        return out

    async def _complete_column(self, field: _Field, values: list[Any]) -> None:
        """Replace these values of an object field by their answers."""
        plan = self._subplan(field)
        if field.kind == "object":
            present = [i for i, v in enumerate(values) if v is not None]
            if not field.nullable and len(present) != len(values):
                raise _Unsupported
            answers = await self._complete(plan, [values[i] for i in present])
            for i, answer in zip(present, answers, strict=True):
                values[i] = answer
            return
        flat: list[Any] = []
        for v in values:
            if v is None:
                if not field.nullable:
                    raise _Unsupported
                continue
            if isinstance(v, str | bytes | dict):
                raise _Unsupported
            items = list(v)
            if not field.item_nullable and any(x is None for x in items):
                raise _Unsupported
            flat += [x for x in items if x is not None]
        answered = iter(await self._complete(plan, flat))
        for i, v in enumerate(values):
            if v is not None:
                values[i] = [None if x is None else next(answered) for x in v]

    async def _breathe(self) -> None:
        """Let the event loop answer others once the current slice is spent."""
        now = time.perf_counter()
        if now - self._slice_started >= SLICE_S:
            await asyncio.sleep(0)
            self._slice_started = time.perf_counter()


def _caller(resolver: Any, kwargs: dict[str, Any]) -> Callable[[Any], Any]:
    """Call a strawberry resolver on one object, as strawberry's `get_arguments` would."""
    func: Callable[..., Any] = resolver.wrapped_func
    if resolver.self_parameter is not None:
        if kwargs:
            return lambda obj: func(obj, **kwargs)
        return func
    names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    if names:
        return lambda obj: func(**kwargs, **dict.fromkeys(names, obj))
    return lambda _obj: func(**kwargs)


# scalars whose coercion returns a value of this exact type unchanged
_EXACT: dict[str, type] = {"String": str, "ID": str, "Boolean": bool}


def _coerce(field: _Field, values: list[Any]) -> list[Any]:
    coerce = field.leaf
    assert coerce is not None
    exact = field.exact

    def leaf(v: Any, nullable: bool) -> Any:
        if type(v) is exact:
            return v
        if v is None:
            if not nullable:
                raise _Unsupported
            return None
        c = coerce(v)
        if c is None or c is Undefined:
            raise _Unsupported
        return c

    if field.kind == "leaf":
        return [leaf(v, field.nullable) for v in values]
    out: list[Any] = []
    for v in values:
        if v is None:
            if not field.nullable:
                raise _Unsupported
            out.append(None)
        elif isinstance(v, str | bytes | dict):
            raise _Unsupported
        else:
            out.append([leaf(x, field.item_nullable) for x in v])
    return out


class _Waiting:
    """The async resolvers of one level, run together as one task runs one coroutine: each
    goes as far as it can at once (most finish there: a loader's value already known); those
    that wait for a future are resumed, in this task, once every future the level waits for
    is done, and so on until all have finished. No task, no callback per resolver."""

    __slots__ = ("coroutines", "futures")

    def __init__(self) -> None:
        # (where the value goes, its index, the coroutine, what it waits for)
        self.coroutines: list[tuple[list[Any], int, Any, Any]] = []
        self.futures: list[tuple[list[Any], int, Any]] = []  # awaitables that are not coroutines

    def start(self, values: list[Any], index: int, awaitable: Any) -> None:
        if not isinstance(awaitable, Coroutine):
            self.futures.append((values, index, asyncio.ensure_future(awaitable)))
            return
        self._send(values, index, awaitable, self.coroutines)

    @staticmethod
    def _send(values: list[Any], index: int, coro: Any, into: list[Any]) -> None:
        try:
            waited = coro.send(None)
        except StopIteration as done:
            values[index] = done.value
            return
        if waited is not None:
            if getattr(waited, "_asyncio_future_blocking", None) is None:
                coro.close()
                raise _Unsupported  # awaits something other than an asyncio future
            waited._asyncio_future_blocking = False
        into.append((values, index, coro, waited))

    async def finish(self) -> None:
        while self.coroutines or self.futures:
            waited = [w for _v, _i, _c, w in self.coroutines]
            waited += [f for _v, _i, f in self.futures]
            if any(w is None for w in waited):
                await asyncio.sleep(0)  # coroutines that gave the loop a turn (`sleep(0)`)
            elif not any(w.done() for w in waited):
                # one may wait for another (a lock that one of them holds): go on as soon as
                # any can
                await asyncio.wait(set(waited), return_when=asyncio.FIRST_COMPLETED)
            futures: list[tuple[list[Any], int, Any]] = []
            for values, index, future in self.futures:
                if future.done():
                    values[index] = future.result()
                else:
                    futures.append((values, index, future))
            self.futures = futures
            resumed: list[tuple[list[Any], int, Any, Any]] = []
            for entry in self.coroutines:
                values, index, coro, w = entry
                if w is None or w.done():
                    self._send(values, index, coro, resumed)  # a future gives its result itself
                else:
                    resumed.append(entry)
            self.coroutines = resumed

    def close(self) -> None:
        for _v, _i, coro, _w in self.coroutines:
            coro.close()
        for _v, _i, future in self.futures:
            future.cancel()
        self.coroutines, self.futures = [], []
