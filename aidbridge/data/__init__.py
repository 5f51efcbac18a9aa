"""Reference data shipped with the package (see README.md here for provenance and licences)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English short name."""
    return {row["alpha2"]: row["name"] for row in _read("iso3166-countries.csv")}


@cache
def currencies() -> dict[str, str]:
    """ISO 4217 alphabetic code → name."""
    return {row["code"]: row["name"] for row in _read("iso4217-currencies.csv")}


@cache
def fsc_classes() -> dict[str, str]:
    """Current 4-digit Federal Supply Classification classes → name."""
    return {row["fsc"]: row["name"] for row in _read("fsc-classes.csv")}
