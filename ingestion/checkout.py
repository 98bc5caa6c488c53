"""What only a source checkout holds: the demo generator, the top-level `demo` package beside
`ingestion/`. It is neither in the wheel nor in the image; the commands that need it
(`gateway demo-data`, `gateway demo-load`, `gateway dedup train`) find it from a clone."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


class NotACheckout(RuntimeError):
    """The installed package has no demo generator."""


def demo_generator() -> ModuleType:
    """The `demo` package, from the checkout this code runs from (an editable install does not
    put the checkout itself on `sys.path`)."""
    if (ROOT / "demo" / "__init__.py").is_file() and str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    try:
        return importlib.import_module("demo")
    except ModuleNotFoundError as exc:
        if exc.name != "demo":
            raise
        raise NotACheckout(
            "the demo generator (the `demo` package) comes with the source, not with the "
            "installed gateway: run this command from a clone of the repository "
            "(`pip install -e .` there)"
        ) from exc
