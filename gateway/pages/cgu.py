"""The terms of use (CGU) in force, whose text the sign-up page shows: a consumer who signs up
is stored with this version and the day it accepted them, as `gateway consumer create
--cgu-version … --cgu-date …` stores them."""

from __future__ import annotations

from datetime import date

VERSION = "2.1"
PUBLISHED = date(2026, 11, 1)
TEMPLATE = "_cgu.html"  # the text itself, in the templates folder
