"""schema.graphql is generated and current; every type and field is described."""

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from gateway.schema import schema, sdl

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "schema.graphql is stale: run `make schema` and commit it"


# what the federation spec defines (strawberry adds them undescribed, routers know them)
FEDERATION = {"_Any", "_Entity", "_Service", "_FieldSet", "link__Purpose", "link__Import",
              "Query._entities", "Query._service", "Query._entities(representations)"}  # fmt: skip


def test_every_type_and_field_is_described() -> None:
    missing = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if name in FEDERATION:
            continue
        if not gtype.description:
            missing.append(name)
        if isinstance(gtype, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(gtype, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, val in gtype.values.items() if not val.description]
    assert [m for m in missing if m not in FEDERATION] == []
