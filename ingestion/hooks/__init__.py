"""Python hooks, the escape hatch of a mapping when a producer needs code: fn(mapped, raw, kind)."""
