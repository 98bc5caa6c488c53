"""Timestamps come back aware and in UTC on SQLite, whatever zone they were written in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from models.columns import AwareDateTime


def test_sqlite_returns_aware_utc_timestamps() -> None:
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", AwareDateTime())
    )
    engine = create_engine("sqlite://")
    paris = timezone(timedelta(hours=1))
    written = [datetime(2026, 11, 27, 10, 0, tzinfo=paris), datetime(2026, 11, 27, 9, 0), None]
    with engine.begin() as conn:
        table.metadata.create_all(conn)
        conn.execute(insert(table), [{"id": i, "at": at} for i, at in enumerate(written)])
        read = [r.at for r in conn.execute(select(table).order_by(table.c.id))]
    assert read[0] == datetime(2026, 11, 27, 9, 0, tzinfo=UTC) and read[0].tzinfo == UTC
    assert read[1] == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # naive values are UTC
    assert read[2] is None
