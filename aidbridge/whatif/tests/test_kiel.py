"""The Kiel Ukraine Support Tracker benchmark (``bench/bench_kiel.py``) on the real release-29 aggregates.

The data live next to the repository, in ``../shared/data/aid-flows/kiel-ukraine-support-tracker/`` (or
``$AIDBRIDGE_KIEL_DIR``, as for the benchmark); they state no licence, so they are never copied into the
repository, and the tests that need them skip when they are absent.
Expected figures are computed here independently, straight from the CSV files with the csv module.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from aidbridge.allocation.solver import Instance
from aidbridge.whatif.engine import concentration

ROOT = Path(__file__).resolve().parents[3]
KIEL = ROOT.parent / "shared" / "data" / "aid-flows" / "kiel-ukraine-support-tracker"
RELEASE = Path(os.environ.get("AIDBRIDGE_KIEL_DIR") or KIEL / "website-release29")
EXPLORER = RELEASE / "data_explorer.csv"
TYPES = ("financial", "humanitarian", "military")

needs_data = pytest.mark.skipif(
    not EXPLORER.is_file(),
    reason=f"Kiel Ukraine Support Tracker data absent ({EXPLORER}); not shipped with Aidbridge (no licence stated)",
)


def _bench() -> ModuleType:
    """``bench/bench_kiel.py`` as a module (``bench`` is a folder of scripts, not a package)."""
    name = "aidbridge_bench_kiel"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "bench_kiel.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


@pytest.fixture(scope="module")
def raw() -> list[dict[str, str]]:
    with EXPLORER.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def rows(bench: ModuleType) -> list:  # type: ignore[type-arg]
    return bench.load(RELEASE)


# ---- without the data ------------------------------------------------------------------------------------


def test_absent_data_is_a_clear_error(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(bench.DataMissing, match=r"data_explorer\.csv is missing.*not shipped"):
        bench.load(tmp_path)
    monkeypatch.setenv("AIDBRIDGE_KIEL_DIR", str(tmp_path))
    assert bench.main() == 2
    assert "Kiel Ukraine Support Tracker data not found" in capsys.readouterr().err


def test_a_malformed_line_is_named(bench: ModuleType, tmp_path: Path) -> None:
    head = '"country","iso","year","month","total","financial","humanitarian","military","commitments"\n'
    (tmp_path / "data_explorer.csv").write_text(head + '"X","XXX",2022,3,1,1,0,0,1\n"Y","YYY",2022,3,1,-1,0,0,1\n')
    with pytest.raises(ValueError, match=r"data_explorer\.csv line 3: bad value in \['financial'\]"):
        bench.load(tmp_path)
    (tmp_path / "data_explorer.csv").write_text(head + '"X","XXX",2022,3,1,one,0,0,1\n')
    with pytest.raises(ValueError, match=r"line 2"):
        bench.load(tmp_path)


# ---- reading -----------------------------------------------------------------------------------------------


@needs_data
def test_release_29_is_the_one_read() -> None:
    with (RELEASE / "release_info.csv").open(newline="", encoding="utf-8") as fh:
        info = list(csv.DictReader(fh))
    assert [r["release"] for r in info] == ["29"]


@needs_data
def test_every_line_is_read(bench: ModuleType, raw: list[dict[str, str]], rows: list) -> None:  # type: ignore[type-arg]
    assert len(rows) == len(raw) == 1079
    assert {r.donor for r in rows} == {r["iso"] for r in raw}
    assert len({r.donor for r in rows}) == 42
    assert len({(r.donor, r.ym) for r in rows}) == len(rows)  # one line per donor and month
    series = bench.months(rows)
    assert (series[0], series[-1], len(series)) == ("2022-01", "2026-04", 52)
    assert series == sorted(series) and len(set(series)) == len(series)


@needs_data
def test_a_known_donor_and_month(rows: list, raw: list[dict[str, str]]) -> None:  # type: ignore[type-arg]
    want = [r for r in raw if r["iso"] == "DEU" and r["year"] == "2023" and r["month"] == "1"]
    got = [r for r in rows if r.donor == "DEU" and r.ym == "2023-01"]
    assert len(want) == len(got) == 1
    assert got[0].name == "Germany"
    for k in (*TYPES, "commitments"):
        assert got[0].amount(k) == float(want[0][k])


@needs_data
def test_monthly_totals_match_the_trackers_own_totals(rows: list) -> None:  # type: ignore[type-arg]
    # total_allocations.csv is a separate file of the release: per month, all donors summed.
    with (RELEASE / "total_allocations.csv").open(newline="", encoding="utf-8") as fh:
        totals = {f"{int(r['year']):04d}-{int(r['month']):02d}": r for r in csv.DictReader(fh)}
    mine: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        for k in TYPES:
            mine[(k, r.ym)] += r.amount(k)
    assert len(totals) == 52
    for ym, t in totals.items():
        for k in TYPES:
            assert mine[(k, ym)] == pytest.approx(float(t[k]), abs=2e-6), (k, ym)


# ---- concentration ------------------------------------------------------------------------------------------


def _check(c: concentration.Concentration) -> None:
    assert 0.0 <= c.hhi <= 1.0 and 0.0 <= c.top_share <= 1.0
    if c.total == 0:
        assert (c.hhi, c.top, c.donors) == (0.0, None, 0)
        return
    assert 1 / c.donors - 1e-12 <= c.hhi <= c.top_share + 1e-12
    assert c.top_share**2 - 1e-12 <= c.hhi


@needs_data
def test_whole_series_concentration_by_type(bench: ModuleType, rows: list, raw: list[dict[str, str]]) -> None:  # type: ignore[type-arg]
    out = bench.by_type(rows)
    assert set(out) == set(TYPES)
    for k in TYPES:
        per_donor: dict[str, float] = defaultdict(float)
        for r in raw:
            per_donor[r["iso"]] += float(r[k])
        total = sum(per_donor.values())
        naive = sum((a / total) ** 2 for a in per_donor.values())
        top = max(per_donor, key=lambda d: per_donor[d])
        c = out[k]
        _check(c)
        assert c.hhi == pytest.approx(naive, rel=1e-9)
        assert c.total == pytest.approx(total, rel=1e-12)
        assert (c.top, c.top_share) == (top, pytest.approx(per_donor[top] / total, rel=1e-12))
        assert c.donors == sum(1 for a in per_donor.values() if a > 0)
    assert (out["financial"].top, out["humanitarian"].top, out["military"].top) == ("EU", "DEU", "USA")


@needs_data
def test_monthly_concentration_lies_in_range(bench: ModuleType, rows: list) -> None:  # type: ignore[type-arg]
    out = bench.by_type_and_month(rows)
    series = bench.months(rows)
    assert {ym for _, ym in out} == set(series)
    for c in out.values():
        _check(c)
    # 2022-01: only Canada gave humanitarian aid
    assert (out[("humanitarian", "2022-01")].top, out[("humanitarian", "2022-01")].hhi) == ("CAN", 1.0)


# ---- the allocation instance and one re-plan ----------------------------------------------------------------


@needs_data
@pytest.mark.parametrize("kind", TYPES)
def test_the_instance_is_valid_and_balanced(bench: ModuleType, rows: list, kind: str) -> None:  # type: ignore[type-arg]
    inst = Instance.from_dict(bench.instance_dict(rows, kind, fixed_before=10))
    assert inst.weeks == 52
    assert [i.id for i in inst.items] == [kind]
    assert sum(p.quantity for p in inst.pledges) == sum(r.quantity for r in inst.requirements)
    assert sum(p.quantity for p in inst.pledges) == sum(round(float(r.amount(kind)) * 1000) for r in rows)
    assert {r.priority for r in inst.requirements} == {1}
    assert all(f.ship_week < 10 for f in inst.fixed_flows)
    assert sum(f.quantity for f in inst.fixed_flows) == sum(p.quantity for p in inst.pledges if p.available_week < 10)


@needs_data
def test_a_withdrawal_loses_exactly_the_donors_euros(bench: ModuleType, rows: list) -> None:  # type: ignore[type-arg]
    series = bench.months(rows)
    mid = len(series) // 2
    res = bench.withdrawal(rows, "humanitarian", "DEU", mid)
    assert 0.0 <= res["loss_share"] <= 1.0
    assert res["loss_share"] > 0
    cov = res["coverage_by_week"]["scenario"]
    assert all(0.0 <= x <= 1.0 for x in cov)
    assert cov[:mid] == [1.0] * mid  # the past is fixed
    fill = res["fill_by_priority"]["1"]
    own = sum(bench.units(r.humanitarian) for r in rows if r.donor == "DEU" and r.ym >= series[mid])
    lost = fill["baseline"] - fill["scenario"]
    assert lost >= own  # the data have no slack: nobody can make up for the withdrawn euros
    if res["gap"] is not None and res["gap"] < 1e-9:
        assert lost == own  # at the optimum, every other euro is still delivered
    assert not math.isnan(res["objective"])


@needs_data
@pytest.mark.slow
def test_the_section(bench: ModuleType) -> None:
    md = bench.run(RELEASE)
    assert md.startswith("## Concentration in real aid flows (Kiel Ukraine Support Tracker, release 29)\n")
    assert "no licence" in md and "### The coverage lost if that donor had stopped" in md
    assert "| military | United States | 37% | 2022-01 |" in md
