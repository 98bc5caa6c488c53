"""The ground truth: which public ids describe the same structure or service, and known traps."""

from __future__ import annotations

from pathlib import Path

import orjson

from demo.base import Published
from demo.world import Structure

HEAD_SIRET_REASON = "même SIRET (siège du réseau) dans une autre commune : structures différentes"
MAIRIE_REASON = "la mairie et son CCAS à la même adresse : structures différentes"
KEEP_PER_SIRET = 3  # sites remembered per head-office SIRET to pair later sites with


class Truth:
    """Collects clusters while the producers write, then writes ground-truth.json."""

    def __init__(self, seed: int, scale: int) -> None:
        self.seed = seed
        self.scale = scale
        self.structures: list[list[str]] = []
        self.services: list[list[str]] = []
        self.not_duplicates: list[list[str]] = []
        self.invalid: list[list[str]] = []
        self.entities = {"structures": 0, "services": 0}
        self._heads: dict[str, list[tuple[str, str, str]]] = {}

    def add(self, group: list[Structure], published: dict[str, dict[str, Published]]) -> None:
        """Record one world group: `published[structure key][slug]`."""
        for s in group:
            pubs = published.get(s.key, {})
            ids = [p.structure for p in pubs.values() if p.structure]
            if ids:
                self.entities["structures"] += 1
            if len(ids) >= 2:
                self.structures.append(ids)
            by_service: dict[str, list[str]] = {}
            for p in pubs.values():
                for key, pid in p.services.items():
                    by_service.setdefault(key, []).append(pid)
            self.entities["services"] += len(by_service)
            self.services += [pids for pids in by_service.values() if len(pids) >= 2]
            self._head_siret(s, pubs)
        if len(group) == 2 and group[1].companion_of == group[0].key:
            self._mairie(group[0], group[1], published)

    def _head_siret(self, s: Structure, pubs: dict[str, Published]) -> None:
        if s.head_siret is None:
            return
        shown = [p.structure for p in pubs.values() if p.siret == s.head_siret and p.structure]
        if not shown:
            return
        commune = s.location.commune.code
        seen = self._heads.setdefault(s.head_siret, [])
        other = next((pid for _, code, pid in seen if code != commune), None)
        if other is not None:
            self.not_duplicates.append([other, shown[0], HEAD_SIRET_REASON])
        if len(seen) < KEEP_PER_SIRET:
            seen.append((s.key, commune, shown[0]))

    def _mairie(
        self, ccas: Structure, mairie: Structure, published: dict[str, dict[str, Published]]
    ) -> None:
        a = published.get(ccas.key, {})
        b = published.get(mairie.key, {})
        common = [slug for slug in b if slug in a]
        if common:
            first, second = a[common[0]].structure, b[common[0]].structure
        else:
            first = next((p.structure for p in a.values() if p.structure), None)
            second = next((p.structure for p in b.values() if p.structure), None)
        if first and second:
            self.not_duplicates.append([second, first, MAIRIE_REASON])

    def write(self, path: Path) -> None:
        """One cluster (or pair, or invalid row) per line, written as it goes."""
        blocks = (
            ("structures", self.structures),
            ("services", self.services),
            ("not_duplicates", self.not_duplicates),
            ("invalid", self.invalid),
        )
        with path.open("wb") as f:
            f.write(orjson.dumps({"seed": self.seed, "scale": self.scale})[:-1])
            for name, rows in blocks:
                f.write(b',\n"' + name.encode() + b'":[')
                for i, row in enumerate(rows):
                    f.write((b"\n" if i == 0 else b",\n") + orjson.dumps(row))
                f.write(b"\n]" if rows else b"]")
            f.write(b"\n}\n")
