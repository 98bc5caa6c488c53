"""Fixtures of the ingestion tests: a fresh copy of the `exemple` producer per test."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion.run import IngestOptions, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingestion"
_counter = itertools.count()


@pytest.fixture
def producer(tmp_path: Path) -> tuple[str, Path, Path]:
    """A fresh copy of the `exemple` producer under a unique slug, with its files."""
    slug = f"exemple-{next(_counter)}-{tmp_path.name[-6:].lower()}"
    producers = tmp_path / "producers"
    producers.mkdir()
    text = (FIXTURES / "producers" / "exemple.toml").read_text(encoding="utf-8")
    (producers / f"{slug}.toml").write_text(
        text.replace('slug = "exemple"', f'slug = "{slug}"'), encoding="utf-8"
    )
    files = tmp_path / "files"
    shutil.copytree(FIXTURES / "files", files)
    return slug, producers, files


Run = Callable[..., Any]


@pytest.fixture
def run(store_engine: AsyncEngine, producer: tuple[str, Path, Path]) -> Run:
    slug, producers, files = producer

    async def go(*names: str, **options: Any) -> Any:
        paths = [files / n for n in names] or [files / "structures.csv", files / "services.csv"]
        return await ingest(
            store_engine, slug, paths, IngestOptions(**options), producers_dir=producers
        )

    return go
