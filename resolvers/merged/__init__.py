"""Merged structures and services: what their GraphQL types share, and their loaders."""
