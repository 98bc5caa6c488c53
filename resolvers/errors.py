"""Errors a client caused, with a stable code in `extensions`."""

from graphql import GraphQLError


class BadUserInput(GraphQLError):
    """An argument the client can fix: the message says which and why."""

    def __init__(
        self,
        message: str,
        *,
        argument: str | None = None,
        limit: int | None = None,
        found: int | None = None,
    ) -> None:
        """`limit` and `found`: for a value over a bound, the bound and what was sent."""
        extensions: dict[str, object] = {"code": "BAD_USER_INPUT"}
        if argument:
            extensions["argument"] = argument
        if limit is not None:
            extensions["limit"] = limit
            extensions["found"] = found
        super().__init__(message, extensions=extensions)


class Forbidden(GraphQLError):
    """Something this consumer may not see (a restricted producer's records)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN"})
