"""All SQL and cache I/O of the gateway; knows nothing of GraphQL."""
