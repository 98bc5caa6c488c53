"""Merged services in the graph."""
