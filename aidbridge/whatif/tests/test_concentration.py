"""Donor concentration (``aidbridge.whatif.engine.concentration``): hand-computed cases and properties.

No database: the module is pure Python.
"""

from __future__ import annotations

import ast
import math
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aidbridge.whatif.engine import concentration as conc
from aidbridge.whatif.engine.concentration import Concentration, by_group, by_keys, hhi

# ---- hand-computed cases ----------------------------------------------------------------------------


def test_one_donor_has_index_one_and_the_whole_share() -> None:
    out = by_group([("A", "6", 120)])
    assert out == {"A": Concentration(total=120.0, donors=1, hhi=1.0, top="6", top_share=1.0)}


@pytest.mark.parametrize("n", [2, 3, 4, 7, 10, 40])
def test_n_equal_donors_give_one_over_n(n: int) -> None:
    out = by_group([("A", f"d{i:02d}", 5) for i in range(n)])["A"]
    assert out.donors == n
    assert out.hhi == 1 / n  # exactly: one rounding of 1/n
    assert out.top_share == 1 / n
    assert out.top == "d00"  # all tied: the smallest id


def test_a_40_30_30_split_is_0_34() -> None:
    out = by_group([("A", "x", 40), ("A", "y", 30), ("A", "z", 30)])["A"]
    assert out.hhi == 0.34  # 0.16 + 0.09 + 0.09, exact for integer inputs
    assert (out.top, out.top_share, out.total, out.donors) == ("x", 0.4, 100.0, 3)
    assert hhi([40, 30, 30]) == 0.34
    assert hhi([0.4, 0.3, 0.3]) == pytest.approx(0.34, rel=1e-15)


def test_a_hand_computed_uneven_split() -> None:
    # 50/25/15/10: 0.25 + 0.0625 + 0.0225 + 0.01 = 0.345
    out = by_group([("A", "a", 10), ("A", "b", 50), ("A", "c", 15), ("A", "d", 25)])["A"]
    assert out.hhi == 0.345
    assert (out.top, out.top_share) == ("b", 0.5)


def test_zero_totals_and_empty_groups() -> None:
    out = by_group([("A", "x", 0), ("A", "y", 0.0), ("B", "x", 3)])
    assert out["A"] == Concentration(total=0.0, donors=0, hhi=0.0, top=None, top_share=0.0)
    assert out["B"].hhi == 1.0
    assert by_group([]) == {}
    assert hhi([]) == 0.0
    assert hhi([0, 0]) == 0.0


def test_zero_rows_do_not_count_as_donors() -> None:
    out = by_group([("A", "x", 3), ("A", "y", 0), ("A", "z", 1)])["A"]
    assert out.donors == 2
    assert out.hhi == pytest.approx((9 + 1) / 16, rel=1e-15)


def test_ties_go_to_the_smallest_donor_id_whatever_the_row_order() -> None:
    rows = [("A", "7", 10), ("A", "12", 10), ("A", "3", 5)]
    for perm in (rows, rows[::-1], [rows[1], rows[2], rows[0]]):
        out = by_group(perm)["A"]
        assert out.top == "12"  # string order: "12" < "7"
        assert out.top_share == 0.4


def test_a_donor_split_over_rows_is_summed() -> None:
    out = by_group([("A", "x", 10), ("A", "y", 30), ("A", "x", 25), ("A", "x", 5)])["A"]
    assert (out.top, out.top_share, out.donors) == ("x", 40 / 70, 2)
    assert out.hhi == pytest.approx((40**2 + 30**2) / 70**2, rel=1e-15)


def test_groups_keep_their_first_appearance_order() -> None:
    assert list(by_group([("B", "x", 1), ("A", "x", 1), ("B", "y", 1)])) == ["B", "A"]


def test_numeric_types_are_accepted() -> None:
    out = by_group([("A", "x", Decimal("40")), ("A", "y", Fraction(30)), ("A", "z", 30.0)])["A"]
    assert out.hhi == 0.34


def test_huge_and_tiny_amounts_do_not_overflow_or_vanish() -> None:
    assert by_group([("A", "x", 1e300), ("A", "y", 1e300)])["A"].hhi == 0.5
    assert by_group([("A", "x", 1e-300), ("A", "y", 3e-300)])["A"].top_share == pytest.approx(0.75)


def test_as_dict_is_plain_json() -> None:
    d = by_group([("A", "x", 3), ("A", "y", 1)])["A"].as_dict()
    assert d == {"total": 4.0, "donors": 2, "hhi": 0.625, "top": "x", "top_share": 0.75}


@pytest.mark.parametrize(
    ("amount", "message"),
    [(-1, "is negative"), (-0.001, "is negative"), (math.inf, "not finite"), (-math.inf, "not finite"),
     (math.nan, "not finite"), (Decimal("NaN"), "not finite"), ("ten", "not a number"), ("10", "not a number"),
     (None, "not a number"), (True, "not a number"), ([1], "not a number")],
)
def test_bad_amounts_raise_naming_the_row(amount: object, message: str) -> None:
    rows = [("A", "x", 1), ("B", "y", 2), ("item-7", "donor-9", amount)]
    with pytest.raises(ValueError, match=r"rows\[2\] \(group 'item-7', donor 'donor-9'\): amount .*" + message):
        by_group(rows)
    with pytest.raises(ValueError, match=r"amounts\[1\]"):
        hhi([1, amount])  # type: ignore[list-item]


def test_a_row_that_is_not_a_triple_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rows\[1\]: expected \(group, donor, amount\)"):
        by_group([("A", "x", 1), ("A", "x")])  # type: ignore[list-item]


def test_by_keys_groups_the_same_rows_several_ways() -> None:
    rows = [
        (("GEN-100KW", "VII", "field-hospital"), "6", 40),
        (("GEN-100KW", "VII", None), "7", 30),
        (("MED-KIT", "VIII", "field-hospital"), "7", 30),
    ]
    out = by_keys(rows, ("item", "class", "package"))
    assert list(out) == ["item", "class", "package"]
    assert out["item"]["GEN-100KW"].hhi == pytest.approx((16 + 9) / 49, rel=1e-15)
    assert out["item"]["MED-KIT"].hhi == 1.0
    assert out["class"] == {"VII": out["item"]["GEN-100KW"], "VIII": out["item"]["MED-KIT"]}
    assert out["package"]["field-hospital"] == Concentration(
        total=70.0, donors=2, hhi=(16 + 9) / 49, top="6", top_share=40 / 70
    )
    assert None not in out["package"]


def test_by_keys_checks_rows() -> None:
    with pytest.raises(ValueError, match=r"rows\[0\]: 2 groups for 3 keys"):
        by_keys([(("a", "b"), "x", 1)], ("item", "class", "package"))
    with pytest.raises(ValueError, match=r"rows\[1\] \(groups \('a', 'b'\), donor 'x'\): amount -2 is negative"):
        by_keys([(("a", "b"), "x", 1), (("a", "b"), "x", -2)], ("item", "class"))


def test_the_module_is_pure() -> None:
    tree = ast.parse(Path(conc.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "collections.abc", "dataclasses", "decimal", "fractions", "math", "typing"}


# ---- properties -------------------------------------------------------------------------------------

DONOR_IDS = st.text(alphabet="abcdefgh0123456789", min_size=1, max_size=3)
AMOUNTS = st.one_of(
    st.integers(0, 10**9),
    st.just(0.0),
    st.floats(1e-100, 1e12, allow_nan=False, allow_infinity=False),  # no subnormals: scaling must not underflow
)
ROWS = st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), DONOR_IDS, AMOUNTS), max_size=40)
TOL = 1e-12


def _positive_totals(rows: list[tuple[str, str, float]]) -> dict[str, dict[str, Fraction]]:
    out: dict[str, dict[str, Fraction]] = {}
    for g, d, a in rows:
        out.setdefault(g, {}).setdefault(d, Fraction(0))
        out[g][d] += Fraction(a)
    return {g: {d: a for d, a in donors.items() if a > 0} for g, donors in out.items()}


@settings(max_examples=300, deadline=None)
@given(ROWS)
def test_bounds_hold(rows: list[tuple[str, str, float]]) -> None:
    out = by_group(rows)
    assert set(out) == {g for g, _, _ in rows}
    for c in out.values():
        assert 0.0 <= c.hhi <= 1.0 and 0.0 <= c.top_share <= 1.0
        if c.total == 0:
            assert c == Concentration(total=0.0, donors=0, hhi=0.0, top=None, top_share=0.0)
            continue
        n = c.donors
        assert n >= 1
        assert 1 / n - TOL <= c.hhi <= 1.0
        assert c.top_share**2 - TOL <= c.hhi <= c.top_share + TOL  # max share² ≤ HHI ≤ max share
        assert c.top_share >= 1 / n - TOL
        if n == 1:
            assert (c.hhi, c.top_share) == (1.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(ROWS)
def test_the_index_matches_a_naive_computation(rows: list[tuple[str, str, float]]) -> None:
    out = by_group(rows)
    for g, donors in _positive_totals(rows).items():
        total = sum(donors.values())
        if total == 0:
            continue
        c = out[g]
        naive = sum((float(a) / float(total)) ** 2 for a in donors.values())
        assert c.hhi == pytest.approx(naive, rel=1e-9, abs=1e-12)
        assert c.total == float(total)
        best = max(donors.values())
        assert c.top == min(d for d, a in donors.items() if a == best)


@settings(max_examples=200, deadline=None)
@given(ROWS, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rows: list[tuple[str, str, float]], rnd: random.Random) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert by_group(shuffled) == by_group(rows)  # exactly: fsum is correctly rounded


@settings(max_examples=200, deadline=None)
@given(ROWS, st.sampled_from([1e-6, 0.001, 3.0, 1000.0, 7.25e9]))
def test_scaling_does_not_matter(rows: list[tuple[str, str, float]], factor: float) -> None:
    base = by_group(rows)
    scaled = by_group([(g, d, a * factor) for g, d, a in rows])
    for g, c in base.items():
        s = scaled[g]
        if c.total == 0 or s.total == 0:
            continue  # a tiny amount times 1e-6 may underflow; nothing to compare
        assert s.donors == c.donors
        assert s.hhi == pytest.approx(c.hhi, rel=1e-9)
        assert s.top_share == pytest.approx(c.top_share, rel=1e-9)
        assert s.total == pytest.approx(c.total * factor, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), DONOR_IDS, st.integers(0, 10**6)), max_size=30),
       st.lists(st.integers(1, 5), min_size=30, max_size=30))
def test_splitting_a_donors_amount_over_rows_does_not_matter(
    rows: list[tuple[str, str, int]], pieces: list[int]
) -> None:
    split: list[tuple[str, str, int]] = []
    for (g, d, a), k in zip(rows, pieces, strict=False):
        cuts = sorted(random.Random(a * 31 + k).randint(0, a) for _ in range(k - 1))
        bounds = [0, *cuts, a]
        split += [(g, d, hi - lo) for lo, hi in zip(bounds, bounds[1:], strict=False)]
    assert by_group(split) == by_group(rows)  # integer parts: exactly the same


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(1, 10**6))
def test_equal_donors_reach_the_lower_bound(n: int, amount: int) -> None:
    c = by_group([("A", str(i), amount) for i in range(n)])["A"]
    assert c.hhi == pytest.approx(1 / n, rel=1e-12)
    assert c.top_share == pytest.approx(1 / n, rel=1e-12)
