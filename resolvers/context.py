"""What every resolver receives as `info.context`, built fresh for each request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from resolvers.loaders import Loaders
from store.cache import Cache
from store.reads import Reads


@dataclass
class Context:
    """Per-request state: the loaders (their caches die with the request) and shared handles."""

    db: Reads
    cache: Cache
    loaders: Loaders
    # what the consumer may see: "public", or "restricted" with the restricted producers' scope
    # (the gateway derives it from the token's scopes; anonymous requests are public)
    visibility: str = "public"
    # whether the consumer showed a token: fields that may hold personal data need one
    has_token: bool = False
    # anonymous access narrowed to the referential: no structure nor service, at any depth
    referential_only: bool = False
    request: Any = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        db: Reads,
        cache: Cache,
        *,
        shared: dict[str, dict[Any, Any]] | None = None,
        **kwargs: Any,
    ) -> Context:
        return cls(db=db, cache=cache, loaders=Loaders.build(db, shared), **kwargs)


# what a resolver's `info` parameter is: strawberry's, with this context and no root value
Info = strawberry.Info[Context, None]
