"""Initial schema: territories, sources, runs, producer records, links, golden records, provenance.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 15:00:07.175757
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "epci",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "golden_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column(
            "structure_public_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True
        ),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("score_qualite", sa.Float(), nullable=True),
        sa.Column("date_maj", sa.Date(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("data_version", sa.Integer(), nullable=True),
        sa.Column("rule_set_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "visibility", "public_id"),
    )
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_golden_record_data_version"), ["data_version"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_golden_record_public_id"), ["public_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_golden_record_structure_public_id"),
            ["structure_public_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_golden_record_updated_at"), ["updated_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_golden_record_visibility"), ["visibility"], unique=False
        )

    op.create_table(
        "meta",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "region",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("chef_lieu", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "source",
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("licence", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("homepage", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("date_maj_fiable", sa.Boolean(), nullable=False),
        sa.Column("agregateur", sa.Boolean(), nullable=False),
        sa.Column("restreinte", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_table(
        "departement",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("chef_lieu", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("departement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_departement_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "ingest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "files",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_slug"],
            ["source.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingest_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingest_run_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ingest_run_source_slug"), ["source_slug"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ingest_run_started_at"), ["started_at"], unique=False)

    op.create_table(
        "commune",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("nom_recherche", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("departement_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("epci_code", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column(
            "codes_postaux",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("codes_postaux_texte", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("centroide_origine", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["departement_code"],
            ["departement.code"],
        ),
        sa.ForeignKeyConstraint(
            ["epci_code"],
            ["epci.code"],
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commune_codes_postaux_texte"), ["codes_postaux_texte"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commune_departement_code"), ["departement_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_commune_epci_code"), ["epci_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_commune_nom_recherche"), ["nom_recherche"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_commune_parent_code"), ["parent_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_commune_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_commune_type"), ["type"], unique=False)

    op.create_table(
        "producer_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("producer_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column(
            "structure_producer_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("raw_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "field_hashes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "field_since_run",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("date_maj", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_seen_run_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_seen_run_id"],
            ["ingest_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_run_id"],
            ["ingest_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_slug"],
            ["source.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_slug", "kind", "producer_id"),
    )
    with op.batch_alter_table("producer_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_producer_record_public_id"), ["public_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_producer_record_source_slug"), ["source_slug"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_producer_record_status"), ["status"], unique=False)

    op.create_table(
        "quarantined_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("producer_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("file", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quarantined_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantined_row_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quarantined_row_source_slug"), ["source_slug"], unique=False
        )

    op.create_table(
        "commune_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["commune.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("commune_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commune_alias_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_commune_alias_commune_code"), ["commune_code"], unique=False
        )

    op.create_table(
        "golden_member",
        sa.Column("golden_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("member_public_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["golden_id"],
            ["golden_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["producer_record.id"],
        ),
        sa.PrimaryKeyConstraint("golden_id", "record_id"),
    )
    with op.batch_alter_table("golden_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_golden_member_member_public_id"), ["member_public_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_golden_member_record_id"), ["record_id"], unique=False)

    op.create_table(
        "producer_record_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "changed_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["producer_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "version"),
    )
    with op.batch_alter_table("producer_record_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_producer_record_version_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_producer_record_version_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "record_block",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["producer_record.id"],
        ),
        sa.PrimaryKeyConstraint("record_id", "key"),
    )
    with op.batch_alter_table("record_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_block_key"), ["key"], unique=False)

    op.create_table(
        "record_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("record_a_id", sa.Integer(), nullable=False),
        sa.Column("record_b_id", sa.Integer(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rule_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_a_id"],
            ["producer_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_b_id"],
            ["producer_record.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_link_record_a_id"), ["record_a_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_link_record_b_id"), ["record_b_id"], unique=False
        )

    op.create_table(
        "field_provenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("golden_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("record_version_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("source_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("strategy", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("rule_set_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_date_maj", sa.Date(), nullable=True),
        sa.Column("date_maj_fiable", sa.Boolean(), nullable=False),
        sa.Column("value_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "agreeing_sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "conflicting_sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "rejected_sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "elements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["golden_id"],
            ["golden_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["producer_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_version_id"],
            ["producer_record_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("golden_id", "field"),
    )
    with op.batch_alter_table("field_provenance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_field_provenance_golden_id"), ["golden_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("field_provenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_provenance_golden_id"))

    op.drop_table("field_provenance")
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_link_record_b_id"))
        batch_op.drop_index(batch_op.f("ix_record_link_record_a_id"))

    op.drop_table("record_link")
    with op.batch_alter_table("record_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_block_key"))

    op.drop_table("record_block")
    with op.batch_alter_table("producer_record_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_producer_record_version_run_id"))
        batch_op.drop_index(batch_op.f("ix_producer_record_version_record_id"))

    op.drop_table("producer_record_version")
    with op.batch_alter_table("golden_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_golden_member_record_id"))
        batch_op.drop_index(batch_op.f("ix_golden_member_member_public_id"))

    op.drop_table("golden_member")
    with op.batch_alter_table("commune_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_alias_commune_code"))
        batch_op.drop_index(batch_op.f("ix_commune_alias_code"))

    op.drop_table("commune_alias")
    with op.batch_alter_table("quarantined_row", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantined_row_source_slug"))
        batch_op.drop_index(batch_op.f("ix_quarantined_row_run_id"))

    op.drop_table("quarantined_row")
    with op.batch_alter_table("producer_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_producer_record_status"))
        batch_op.drop_index(batch_op.f("ix_producer_record_source_slug"))
        batch_op.drop_index(batch_op.f("ix_producer_record_public_id"))

    op.drop_table("producer_record")
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_type"))
        batch_op.drop_index(batch_op.f("ix_commune_region_code"))
        batch_op.drop_index(batch_op.f("ix_commune_parent_code"))
        batch_op.drop_index(batch_op.f("ix_commune_nom_recherche"))
        batch_op.drop_index(batch_op.f("ix_commune_epci_code"))
        batch_op.drop_index(batch_op.f("ix_commune_departement_code"))
        batch_op.drop_index(batch_op.f("ix_commune_codes_postaux_texte"))

    op.drop_table("commune")
    with op.batch_alter_table("ingest_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_run_started_at"))
        batch_op.drop_index(batch_op.f("ix_ingest_run_source_slug"))
        batch_op.drop_index(batch_op.f("ix_ingest_run_fingerprint"))

    op.drop_table("ingest_run")
    with op.batch_alter_table("departement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departement_region_code"))

    op.drop_table("departement")
    op.drop_table("source")
    op.drop_table("region")
    op.drop_table("meta")
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_golden_record_visibility"))
        batch_op.drop_index(batch_op.f("ix_golden_record_updated_at"))
        batch_op.drop_index(batch_op.f("ix_golden_record_structure_public_id"))
        batch_op.drop_index(batch_op.f("ix_golden_record_public_id"))
        batch_op.drop_index(batch_op.f("ix_golden_record_data_version"))

    op.drop_table("golden_record")
    op.drop_table("epci")
