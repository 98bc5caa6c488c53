"""Errors a client may see: its own mistakes in full (validation, BAD_USER_INPUT, FORBIDDEN…),
everything else masked: no stack trace, no SQL, no internal name, only a stable code."""

from __future__ import annotations

import logging
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from gateway.limits import without_suggestions
from store.engine import unavailability

log = logging.getLogger("gateway.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"
# the database could not answer (down, restarting, frozen, overloaded): the response is a 503
UNAVAILABLE = "DATABASE_UNAVAILABLE"
TIMED_OUT = "DEADLINE_EXCEEDED"
RETRY_LATER = {UNAVAILABLE: 5, TIMED_OUT: 1}  # Retry-After, in seconds, per code
_RETRY_MESSAGES = {
    UNAVAILABLE: "The database is unavailable; nothing was answered. Try again in a few seconds.",
    TIMED_OUT: "A statement ran past its time limit; ask for less, or try again.",
}


def is_unexpected(error: GraphQLError) -> bool:
    """An exception the code did not raise for the client (a database error, a bug)."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    kind = unavailability(original)
    if kind is not None:  # no stack trace: the database's state, not a bug
        log.warning("database %s at %s: %s", kind, error.path, type(original).__name__)
    else:
        log.error("unexpected error at %s", error.path, exc_info=original)
    return True


class MaskUnexpectedErrors(MaskErrors):
    """Masks unexpected errors (the codes of the others: `with_codes`, on the response)."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=is_unexpected,
            error_message="Internal error: the gateway could not answer this field; it was logged.",
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL}
        kind = unavailability(error.original_error) if error.original_error else None
        if kind is not None:
            code = UNAVAILABLE if kind == "unavailable" else TIMED_OUT
            masked.message = _RETRY_MESSAGES[code]
            masked.extensions = {"code": code}
        return masked


def retry_after(errors: list[dict[str, Any]]) -> int | None:
    """Seconds to wait when an error says the database could not answer (the response is then a
    503 with Retry-After), None otherwise."""
    waits = [RETRY_LATER.get((e.get("extensions") or {}).get("code", "")) for e in errors]
    return max((w for w in waits if w is not None), default=None)


def retry_message(kind: str) -> tuple[str, str]:
    """The code and message of a request refused because the database could not answer."""
    code = UNAVAILABLE if kind == "unavailable" else TIMED_OUT
    return code, _RETRY_MESSAGES[code]


def with_codes(errors: list[dict[str, Any]], *, suggestions: bool) -> list[dict[str, Any]]:
    """Formatted errors of a response, each with a stable code: the client's own mistakes too
    (parse, validation, too many tokens); without field suggestions when introspection is off."""
    for error in errors:
        if not suggestions:
            error["message"] = without_suggestions(str(error.get("message", "")))
        extensions = error.setdefault("extensions", {}) or {}
        if "code" in extensions:
            continue
        message = str(error.get("message", ""))
        if "Document contains more than" in message:
            extensions["code"] = "TOO_MANY_TOKENS"
        elif message.startswith("Syntax Error"):
            extensions["code"] = "GRAPHQL_PARSE_FAILED"
        elif "path" not in error:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        error["extensions"] = extensions
    return errors
