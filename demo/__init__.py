"""Deterministic demo producer files: seven producers' native shapes over one generated world."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.base import Published, Writer
from demo.kinds import SLUGS
from demo.truth import Truth
from demo.world import World

__all__ = ["GROUND_TRUTH", "SLUGS", "generate"]

GROUND_TRUTH = "ground-truth.json"


def writers() -> tuple[type[Writer], ...]:
    """Each producer's writer, in the order they publish: `producers/<slug>/demo_writer.py`
    (imported here, not at the top: each writer imports this package's modules)."""
    from producers.carif_oref.demo_writer import CarifOrefWriter
    from producers.cd35.demo_writer import Cd35Writer
    from producers.dora.demo_writer import DoraWriter
    from producers.emplois_de_linclusion.demo_writer import EmploisWriter
    from producers.france_travail.demo_writer import FranceTravailWriter
    from producers.soliguide.demo_writer import SoliguideWriter
    from producers.unccas.demo_writer import UnccasWriter

    return (
        DoraWriter,
        EmploisWriter,
        SoliguideWriter,
        FranceTravailWriter,
        CarifOrefWriter,
        Cd35Writer,
        UnccasWriter,
    )


# the files a previous run may have left in each producer folder (overwritten, never kept)
_OURS: dict[str, re.Pattern[str]] = {
    "dora": re.compile(r"(structures|services)-\d{4}\.json"),
    "emplois-de-linclusion": re.compile(r"structures\.json"),
    "soliguide": re.compile(r"lieux\.json"),
    "france-travail": re.compile(r"(agences|services)\.csv"),
    "carif-oref": re.compile(r"formations\.xml"),
    "cd35": re.compile(r"annuaire\.json"),
    "unccas": re.compile(r"annuaire-ccas\.xlsx"),
}


def _prepare(out: Path) -> None:
    """Create `out`, or empty what a previous run wrote there; refuse anything else."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out}: exists and is not a folder")
        for entry in sorted(out.iterdir()):
            if entry.name == GROUND_TRUTH and entry.is_file():
                continue
            if entry.name in _OURS and entry.is_dir():
                strays = [
                    f.name
                    for f in entry.iterdir()
                    if not (f.is_file() and _OURS[entry.name].fullmatch(f.name))
                ]
                if not strays:
                    continue
                raise ValueError(
                    f"{out}: refusing to overwrite {entry.name}/, which holds {sorted(strays)[0]!r}"
                    " (not written by the demo generator)"
                )
            raise ValueError(
                f"{out}: refusing to write into a folder that holds {entry.name!r}"
                " (not written by the demo generator)"
            )
        for slug in SLUGS:
            shutil.rmtree(out / slug, ignore_errors=True)
        (out / GROUND_TRUTH).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def generate(
    out: Path,
    *,
    scale: int = 1,
    seed: int = 0,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Write the seven producers' files and ground-truth.json into `out`; return a summary.

    The same (scale, seed) always gives byte-identical files. Records are written as they are
    generated (only the ground truth's id lists stay in memory), so scale 100 streams.
    """
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    out = Path(out)
    _prepare(out)
    world = World(seed, scale)
    truth = Truth(seed, scale)
    with tempfile.TemporaryDirectory(prefix="demo-spool-") as tmp:
        spool = Path(tmp)
        opened = [cls(out, spool, seed, progress) for cls in writers()]
        for group, rng in world:
            published: dict[str, dict[str, Published]] = {}
            for s in group:
                published[s.key] = {
                    w.slug: w.publish(s, rng) for w in opened if w.slug in s.producers
                }
            truth.add(group, published)
        producers = {w.slug: w.close() for w in opened}
    for w in opened:
        truth.invalid += [[pid, reason] for pid, reason in w.invalid]
    truth.write(out / GROUND_TRUTH)
    return {
        "scale": scale,
        "seed": seed,
        "producers": producers,
        "entities": dict(truth.entities),
    }
