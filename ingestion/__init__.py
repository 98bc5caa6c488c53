"""Producer files -> referential: read, map, normalise, validate, store (no GraphQL here)."""
