"""Donor concentration: the Herfindahl–Hirschman index and the largest donor's share, per group.

Pure Python (no Django, no numpy). The input is rows ``(group, donor, amount)``: a group is anything
hashable (an item code, a supply class, a package id, ``("military", "2024-03")``), a donor is a string
id, an amount is a finite number ≥ 0 (units, value or priority points; any unit, since every figure
below is a ratio except ``total``). A donor may appear in several rows of a group: its rows are summed.

Definitions, for a group whose donors ``i`` have summed amounts ``a_i`` and total ``T = Σ a_i``:

- ``total`` = ``T``;
- ``donors`` = the number of donors with ``a_i > 0``;
- share ``s_i = a_i / T``; ``hhi`` = ``Σ s_i²``, a share in [0, 1] (not the 0–10,000 "points" scale).
  With n donors of positive amount, ``1/n ≤ hhi ≤ 1`` (1/n exactly when they give equal amounts, 1 for
  a single donor), and ``max s_i² ≤ hhi ≤ max s_i``. A group whose total is 0 has ``hhi`` 0;
- ``top`` = the donor with the largest ``a_i``, ties broken by the smallest donor id, so the answer
  does not depend on row order; ``top_share`` = its ``s_i``. A group whose total is 0 has ``top`` None and
  ``top_share`` 0.

The arithmetic is exact: amounts are turned into fractions (a float, int, ``Decimal`` or ``Fraction`` is
represented exactly), summed, squared and divided exactly, and each figure is rounded to a float once at the
end. So a 40/30/30 split gives exactly 0.34, the result does not depend on row order or on how a donor's
amount is split over rows, and the bounds above hold for the rounded figures too (up to one rounding of
``max s_i²``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

__all__ = ["EMPTY", "Concentration", "by_group", "by_keys", "hhi", "of_amounts"]

G = TypeVar("G", bound=Hashable)


@dataclass(frozen=True)
class Concentration:
    """Concentration of one group (see the module docstring for the definitions)."""

    total: float
    donors: int
    hhi: float
    top: str | None
    top_share: float

    def as_dict(self) -> dict[str, Any]:
        """``{"total", "donors", "hhi", "top", "top_share"}`` (JSON-serialisable)."""
        return asdict(self)


EMPTY = Concentration(total=0.0, donors=0, hhi=0.0, top=None, top_share=0.0)


def _amount(value: Any, where: str) -> Fraction:
    """``value`` as an exact fraction; a bool, a string or a non-number is refused, as is NaN, ±inf or < 0."""
    if isinstance(value, bool | str | bytes):
        raise ValueError(f"{where}: amount {value!r} is not a number")
    if not isinstance(value, int | Fraction):
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError):
            raise ValueError(f"{where}: amount {value!r} is not a number") from None
        if not finite:
            raise ValueError(f"{where}: amount {value!r} is not finite")
        if not isinstance(value, float | Decimal):
            value = float(value)  # e.g. a numpy scalar
    x = Fraction(value)
    if x < 0:
        raise ValueError(f"{where}: amount {value!r} is negative")
    return x


def of_amounts(amounts: Mapping[str, Fraction | float | int]) -> Concentration:
    """Concentration of one group from ``{donor: summed amount}`` (amounts already checked: finite, ≥ 0)."""
    positive = {d: Fraction(a) for d, a in amounts.items() if a > 0}
    if not positive:
        return EMPTY
    top = min(positive, key=lambda d: (-positive[d], d))
    total = sum(positive.values(), Fraction(0))
    index = sum((a * a for a in positive.values()), Fraction(0)) / (total * total)
    return Concentration(
        total=float(total), donors=len(positive), hhi=float(index), top=top, top_share=float(positive[top] / total)
    )


def hhi(amounts: Iterable[Any]) -> float:
    """The index of one list of amounts, each a separate donor (0 when they sum to 0)."""
    checked = {str(i): _amount(a, f"amounts[{i}]") for i, a in enumerate(amounts)}
    return of_amounts(checked).hhi


def _summed(rows: Iterable[tuple[Any, str, Any]], name: str) -> dict[Any, dict[str, Fraction]]:
    parts: dict[Any, dict[str, Fraction]] = {}
    for i, row in enumerate(rows):
        try:
            group, donor, value = row
        except (TypeError, ValueError):
            raise ValueError(f"{name}[{i}]: expected (group, donor, amount), got {row!r}") from None
        x = _amount(value, f"{name}[{i}] (group {group!r}, donor {donor!r})")
        donors = parts.setdefault(group, {})
        donors[donor] = donors.get(donor, Fraction(0)) + x
    return parts


def by_group(rows: Iterable[tuple[G, str, Any]]) -> dict[G, Concentration]:
    """Per group (in order of first appearance): its :class:`Concentration`.

    Raises ``ValueError`` naming the row (``rows[3] (group 'A', donor '6'): amount -1 is negative``) for a
    negative, non-finite or non-numeric amount, or a row that is not a triple. A group whose rows are all 0
    is present with total 0, ``hhi`` 0 and ``top`` None.
    """
    parts = _summed(rows, "rows")
    return {g: of_amounts(donors) for g, donors in parts.items()}


def by_keys(
    rows: Iterable[tuple[Sequence[Hashable | None], str, Any]], keys: Sequence[str]
) -> dict[str, dict[Hashable, Concentration]]:
    """Group the same rows by several keys at once.

    Each row is ``(groups, donor, amount)`` where ``groups`` holds one group per key, in the order of
    ``keys`` (for example ``keys=("item", "class", "package")`` and ``groups=("GEN-100KW", "VII", None)``);
    a group of None leaves the row out of that key (a requirement in no package). Returns
    ``{key: by_group(...)}``. Errors name the row as :func:`by_group` does.
    """
    per_key: list[list[tuple[Hashable, str, Fraction]]] = [[] for _ in keys]
    for i, row in enumerate(rows):
        try:
            groups, donor, value = row
            groups = tuple(groups)
        except (TypeError, ValueError):
            raise ValueError(f"rows[{i}]: expected (groups, donor, amount), got {row!r}") from None
        if len(groups) != len(keys):
            raise ValueError(f"rows[{i}]: {len(groups)} groups for {len(keys)} keys {tuple(keys)!r}")
        x = _amount(value, f"rows[{i}] (groups {groups!r}, donor {donor!r})")
        for k, g in enumerate(groups):
            if g is not None:
                per_key[k].append((g, donor, x))
    return {key: by_group(per_key[k]) for k, key in enumerate(keys)}
