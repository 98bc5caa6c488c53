"""Errors a client may see: its own mistakes in full (validation, BAD_USER_INPUT, FORBIDDEN…),
everything else masked: no stack trace, no SQL, no internal name, only a stable code."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("gateway.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"


def is_unexpected(error: GraphQLError) -> bool:
    """An exception the code did not raise for the client (a database error, a bug)."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    log.error("unexpected error at %s", error.path, exc_info=original)
    return True


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(
            should_mask_error=is_unexpected,
            error_message="Internal error: the gateway could not answer this field; it was logged.",
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL}
        return masked
