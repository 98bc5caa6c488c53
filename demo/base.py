"""What every producer writer shares: its folder, counters, defects and progress reports."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.variations import DEFECT_RATE
from demo.world import Structure

Progress = Callable[[str, int], None]
PROGRESS_EVERY = 1000
FORCE_DEFECT_AT = 25  # a producer with no defect by its 25th record gets one there


@dataclass(slots=True)
class Published:
    """The public ids one producer gave a structure and its services."""

    structure: str | None = None
    services: dict[str, str] = field(default_factory=dict)  # world service key -> public id
    siret: str | None = None  # the SIRET the producer shows for the structure


class Writer:
    """Base of the seven producer writers."""

    slug: str = ""

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        self.dir = out / self.slug
        self.dir.mkdir(parents=True)
        self.spool = spool
        self.seed = seed
        self._progress = progress
        self.structures = 0
        self.services = 0
        self.invalid: list[tuple[str, str]] = []
        self._next_report = PROGRESS_EVERY
        self._defect_calls = 0
        self._defect_turns: dict[tuple[str, ...], int] = {}
        self.last_id = 0  # the last numeric producer id given (next_id)

    def publish(self, s: Structure, rng: random.Random) -> Published:
        raise NotImplementedError

    def finish(self) -> list[str]:
        """Close the files; return their names relative to the output folder."""
        raise NotImplementedError

    def defect(self, rng: random.Random, choices: tuple[str, ...]) -> str | None:
        """None most of the time; else the next defect of `choices`, in turn (all kinds show)."""
        self._defect_calls += 1
        hit = rng.random() < DEFECT_RATE
        if not hit and not (self._defect_calls == FORCE_DEFECT_AT and not self.invalid):
            return None
        turn = self._defect_turns.get(choices, 0)
        self._defect_turns[choices] = turn + 1
        return choices[turn % len(choices)]

    def spoil(
        self, rng: random.Random, producer_id: object, defects: Mapping[str, Callable[[], object]]
    ) -> str | None:
        """As `defect` over the names of `defects`; the one drawn is applied (its function
        called) and the record `producer_id` flagged with it."""
        problem = self.defect(rng, tuple(defects))
        if problem is not None:
            defects[problem]()
            self.flag(producer_id, problem)
        return problem

    def next_id(self, rng: random.Random, gap: int = 1) -> int:
        """The next numeric producer id: 1 to `gap` after the last one (drawn when `gap` > 1)."""
        self.last_id += rng.randint(1, gap) if gap > 1 else 1
        return self.last_id

    def pid(self, producer_id: object) -> str:
        return f"{self.slug}--{producer_id}"

    def flag(self, producer_id: object, reason: str) -> None:
        self.invalid.append((self.pid(producer_id), reason))

    def counted(self, structures: int = 0, services: int = 0) -> None:
        self.structures += structures
        self.services += services
        total = self.structures + self.services
        if self._progress is not None and total >= self._next_report:
            self._progress(self.slug, total)
            self._next_report = (total // PROGRESS_EVERY + 1) * PROGRESS_EVERY

    def close(self) -> dict[str, Any]:
        files = self.finish()
        if self._progress is not None:
            self._progress(self.slug, self.structures + self.services)
        return {
            "files": files,
            "structures": self.structures,
            "services": self.services,
            "invalid": len(self.invalid),
        }
