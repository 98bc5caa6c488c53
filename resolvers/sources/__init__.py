"""Producers (sources) as consumers see them."""
