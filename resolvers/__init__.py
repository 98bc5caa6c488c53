"""The GraphQL surface: types, root fields and per-request loaders, one package per domain."""
