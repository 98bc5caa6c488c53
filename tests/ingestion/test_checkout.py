"""The demo generator is found in a source checkout, and its absence is said plainly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ingestion import checkout


def test_the_checkout_has_the_demo_generator() -> None:
    demo = checkout.demo_generator()
    assert Path(demo.__file__).parent == checkout.ROOT / "demo"
    assert callable(demo.generate)


def test_an_installed_gateway_without_it_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(checkout.ROOT)
    monkeypatch.setattr(checkout, "ROOT", tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in (root, "", ".")])
    for name in [m for m in sys.modules if m == "demo" or m.startswith("demo.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(checkout.NotACheckout, match="from a clone of the repository"):
        checkout.demo_generator()
