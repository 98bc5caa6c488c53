"""Producer files -> referential: read, map, normalise, validate, store; knows nothing of GraphQL."""
