"""The producers, one folder each, named by the source slug with `_` for `-`
(`producers/emplois_de_linclusion/`): its registry entry and mapping (`<slug>.toml`), its
hook when the mapping needs code (`hook.py`, `fn(mapped, raw, kind)`), the demo generator's
writer of its files (`demo_writer.py`, source checkout only) and sample files with what they
map to (`samples/`). The format of a mapping: `producers/README.md`."""
