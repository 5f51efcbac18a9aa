"""HXL export: tagged as HXL tools expect, and read back through libhxl to the same values."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import hxl
import pytest

from aidbridge.catalogue import services as catalogue
from aidbridge.core import csvsafe
from aidbridge.interop import hxl as hxl_export
from aidbridge.interop import opendata
from aidbridge.interop.tests.opendata_helpers import money_pledge, name_donors
from aidbridge.pledges import services as pledges


def _read(rows: list[list[object]]) -> hxl.model.Dataset:
    out = io.StringIO()
    csvsafe.writer(out).writerows(rows)
    return hxl.data(hxl.input.make_input(io.BytesIO(out.getvalue().encode()), hxl.input.InputOptions(allow_local=True)))


@pytest.fixture
def scene(world, personas):
    name_donors(personas)
    catalogue.set_exchange_rate(actor=personas.coordinator, currency="USD", date=dt.date(2026, 1, 30),
                                per_euro=Decimal("1.2"))
    paid = pledges.disburse_financial_pledge(actor=personas.donor_de, pledge=money_pledge(
        personas.donor_de, amount=Decimal("600"), purpose="Field hospitals", sector="12191"), on=dt.date(2026, 3, 3))
    gbp = money_pledge(personas.donor_us, currency="GBP", purpose="No rate for this one")
    money_pledge(personas.donor_us, releasability="coalition", purpose="Coalition only")
    return {"paid": paid, "gbp": gbp}


def test_the_hxl_export_round_trips_through_libhxl(scene, world):
    records = {r.reference: r for r in opendata.records()}
    data = _read(hxl_export.export_rows())
    assert [c.display_tag for c in data.columns] == list(hxl_export.HASHTAGS)
    assert [c.header for c in data.columns] == list(hxl_export.HEADERS)
    rows = {row.get("#activity+code"): row for row in data}
    assert set(rows) == set(records) == {scene["paid"].reference, scene["gbp"].reference,
                                         world.pledge_public.reference}
    for reference, row in rows.items():
        r = records[reference]
        assert row.get("#org+funder+name") == r.donor.name
        assert row.get("#org+funder+code") == r.donor.iati_identifier
        assert row.get("#status") == r.status and row.get("#modality") == r.kind
        assert Decimal(row.get("#value")) == r.amount and row.get("#currency") == r.currency
        assert row.get("#date") == r.date.isoformat()
    paid = rows[scene["paid"].reference]
    assert (paid.get("#sector"), paid.get("#sector+code"), paid.get("#country+code")) == ("DAC 12191", "12191", "UA")
    assert (Decimal(paid.get("#value+usd")), paid.get("#date+rate")) == (Decimal("720.00"), "2026-01-30")
    gbp = rows[scene["gbp"].reference]
    assert (gbp.get("#value+usd"), gbp.get("#date+rate")) == (None, None)  # missing (an empty cell), never zero
    in_kind = rows[world.pledge_public.reference]
    assert (in_kind.get("#sector"), in_kind.get("#sector+code")) == ("NATO supply class VII — Major end items", "VII")
    assert (Decimal(in_kind.get("#value+usd")), in_kind.get("#date+rate")) == (Decimal("2250000.00"), None)


def test_libhxl_filters_work_on_the_export(scene):
    data = _read(hxl_export.export_rows()).cache()  # a stream is read once; the cache lets two filters read it
    paid = list(data.with_rows("#status=disbursed"))
    assert [row.get("#activity+code") for row in paid] == [scene["paid"].reference]
    totals = {row.get("#currency"): row.get("#value+total")
              for row in data.count("#currency", "sum(#value) as Total#value+total")}
    assert Decimal(str(totals["EUR"])) == Decimal("600")


def test_a_text_cell_that_looks_like_a_formula_is_escaped(world, personas):
    name_donors(personas)
    money_pledge(personas.donor_de, purpose="=HYPERLINK(\"http://evil\")")
    rows = _read(hxl_export.export_rows())
    programmes = [row.get("#activity+name") for row in rows]
    assert "'=HYPERLINK(\"http://evil\")" in programmes
