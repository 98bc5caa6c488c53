"""Command line: python -m demo OUT [--scale N] [--seed S]."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from demo import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("out", type=Path, help="output folder (created; previous output replaced)")
    parser.add_argument("--scale", type=int, default=1, help="1 ≈ 1 000 structure records")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def progress(slug: str, n: int) -> None:
        if not args.quiet:
            print(f"{time.monotonic() - started:7.1f}s  {slug:<22} {n:>8} records", file=sys.stderr)

    try:
        summary = generate(args.out, scale=args.scale, seed=args.seed, progress=progress)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for slug, p in summary["producers"].items():
        print(
            f"{slug:<22} {p['structures']:>7} structures {p['services']:>7} services "
            f"{p['invalid']:>5} invalid"
        )
    e = summary["entities"]
    print(f"{'world':<22} {e['structures']:>7} structures {e['services']:>7} services")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
