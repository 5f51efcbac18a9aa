"""List downloads: every list page and every API list as CSV and XLSX, with the list's filters, the same visibility
and releasability as the page or the JSON, and no cell a spreadsheet could turn into a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from aidbridge.accounts.models import Organisation
from aidbridge.api import api
from aidbridge.core import exports
from aidbridge.core import views as core_views
from aidbridge.core.api import stable_order
from aidbridge.core.views import Column, ObjectListView
from aidbridge.logistics import services as logistics
from aidbridge.pledges.models import Pledge
from aidbridge.whatif.tests import money_world

PERSONAS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl", "outsider", "anonymous")
FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"
COUNT = re.compile(r'<p class="count">([\d,]+) result')


def _user(personas: Any, name: str) -> Any:
    return None if name == "anonymous" else getattr(personas, name)


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def _xlsx(response: Any) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _list_urls() -> list[str]:
    """Every URL served by an ``ObjectListView``: the apps' lists, including lists added later."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "view_class", None)
                route = prefix + str(p.pattern)
                if view is not None and issubclass(view, ObjectListView) and "<" not in route:
                    found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


# --- the writers ------------------------------------------------------------------------------------------

def test_every_list_page_is_found():
    urls = _list_urls()
    for expected in ("/organisations/", "/catalogue/", "/locations/", "/hubs/", "/requirements/", "/pledges/",
                     "/allocations/", "/shipments/", "/audit/", "/training/courses/", "/training/requests/"):
        assert expected in urls


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_look_like_formulas_are_escaped(text):
    rows = list(csv.reader(io.StringIO(exports.csv_text(["a", "b"], [[text, -3]]))))
    assert rows == [["a", "b"], ["'" + text, "-3"]]


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-2", "@SUM(A1)"])
def test_xlsx_text_is_stored_as_a_string_never_a_formula(text):
    data = exports.xlsx_bytes(["a", "b"], [[text, -3]], title="T")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == text and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -3 and sheet["B2"].data_type == "n"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_cells_keep_their_types():
    when = dt.datetime(2026, 3, 11, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    row = [Decimal("1234.50"), dt.date(2026, 2, 28), when, None, True, 7]
    assert next(csv.reader(io.StringIO(exports.csv_text(list("abcdef"), [row]).split("\n", 1)[1]))) == [
        "1234.50", "2026-02-28", "2026-03-11 09:30:00", "", "true", "7"]
    values = list(load_workbook(io.BytesIO(exports.xlsx_bytes(list("abcdef"), [row]))).active.iter_rows(
        min_row=2, values_only=True))[0]
    assert values[0] == pytest.approx(1234.5) and values[1] == dt.datetime(2026, 2, 28)
    assert values[2] == dt.datetime(2026, 3, 11, 9, 30) and values[3] is None and values[5] == 7


def test_sheet_titles_are_ones_excel_accepts():
    assert exports.sheet_title("a/b: [c]?" + "x" * 40) == "a b   c  " + "x" * 22
    assert exports.sheet_title("''") == "Export"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="format=csv or format=xlsx"):
        exports.download("pdf", "x", ["a"], [])


def test_list_rows_expand_values_and_withhold_hidden_ones():
    class Thing:
        reference, total_value, currency, allocated, delivered_qty = "PLG-1", Decimal("10.00"), "USD", 3, 1

    columns = [Column("Reference", "reference", "link"), Column("Value", "total_value", "money"),
               Column("Allocated", "reference", "use")]
    assert exports.list_header(columns) == ["Reference", "Value", "Value currency", "Allocated", "Delivered"]
    assert exports.list_row(Thing(), columns) == ["PLG-1", Decimal("10.00"), "USD", 3, 1]
    shown = [columns[0], Column("Value", "total_value", "withheld"), columns[2]]
    assert exports.list_row(Thing(), columns, shown) == ["PLG-1", "withheld", "withheld", 3, 1]


# --- list pages -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_every_list_page_downloads_exactly_what_it_lists(world, personas, login, persona):
    """The visibility matrix: the download answers as the page does (a 404 or the login page stays one), and
    holds exactly the rows the page counts, in CSV and in XLSX."""
    client = login(_user(personas, persona))
    for url in _list_urls():
        page = client.get(url)
        for fmt in exports.FORMATS:
            response = client.get(url + "?format=" + fmt)
            assert response.status_code == page.status_code, (persona, url, fmt)
            if page.status_code != 200:
                continue
            count = int(COUNT.search(page.content.decode()).group(1).replace(",", ""))
            rows = _csv(response) if fmt == "csv" else _xlsx(response)
            assert len(rows) - 1 == count, (persona, url, fmt)
            assert response["Content-Disposition"].startswith('attachment; filename="aidbridge-')
            assert response["Content-Type"] == exports.CONTENT_TYPES[fmt]


def test_the_download_keeps_the_filters_and_ignores_the_page(world, personas, login, monkeypatch):
    monkeypatch.setattr(core_views, "PER_PAGE", 1)
    client = login(personas.coordinator)
    everything = _csv(client.get("/pledges/?format=csv&page=2"))
    assert [r[0] for r in everything[1:]] == sorted(
        p.reference for p in (world.pledge_coalition, world.pledge_coordinators, world.pledge_public,
                              world.pledge_public_later))
    committed = _csv(client.get("/pledges/?status=committed&format=csv"))
    assert {r[0] for r in committed[1:]} == {world.pledge_coalition.reference, world.pledge_public.reference}
    assert {r[8] for r in committed[1:]} == {"committed"}


def test_a_filter_that_cannot_be_read_downloads_nothing(world, personas, login):
    client = login(personas.coordinator)
    response = client.get("/pledges/?status=lost&format=csv")
    assert response.status_code == 422 and "Content-Disposition" not in response
    response = client.get("/pledges/?format=pdf")
    assert response.status_code == 422
    assert "Give format=csv or format=xlsx." in response.content.decode()


def test_the_download_links_carry_the_current_filters(world, personas, login):
    client = login(personas.coordinator)
    page = client.get("/requirements/?status=validated&page=1").content.decode()
    assert 'href="?status=validated&amp;format=csv"' in page
    partial = client.get("/requirements/?status=draft", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    body = partial.content.decode()
    assert 'id="downloads" hx-swap-oob="true"' in body and 'href="?status=draft&amp;format=xlsx"' in body


def test_pledge_downloads_withhold_what_the_page_withholds(world, personas, login):
    rows = _csv(login(personas.donor_us).get("/pledges/?format=csv"))
    header, by_ref = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:8] == ["Reference", "Donor", "Item", "Quantity", "Available", "Origin", "Value", "Value currency"]
    coalition = by_ref[world.pledge_coalition.reference]  # Germany's, released to the coalition
    assert (coalition["Origin"], coalition["Value"], coalition["Value currency"]) == ("withheld",) * 3
    assert coalition["Available"] == world.pledge_coalition.available_from.strftime("%Y-%m")  # the month only
    own = by_ref[world.pledge_public.reference]
    assert (own["Origin"], own["Value"], own["Value currency"]) == ("US", "2250000.00", "USD")
    assert world.pledge_coordinators.reference not in by_ref
    outside = _csv(login(personas.outsider).get("/pledges/?format=csv"))
    assert [r[0] for r in outside[1:]] == [world.pledge_public.reference]
    assert outside[1][5] == "withheld" and outside[1][6] == "2250000.00"  # public tier: value, not origin
    xlsx = _xlsx(login(personas.donor_us).get("/pledges/?format=xlsx"))
    assert [r[5] for r in xlsx[1:] if r[0] == world.pledge_coalition.reference] == ["withheld"]


def test_list_downloads_escape_formulas(world, personas, login):
    Organisation.objects.filter(pk=personas.orgs["us"].pk).update(name=FORMULA)
    client = login(personas.coordinator)
    rows = _csv(client.get("/organisations/?format=csv"))
    assert [r[0] for r in rows if FORMULA in r[0]] == ["'" + FORMULA]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    sheet = load_workbook(io.BytesIO(client.get("/pledges/?format=xlsx").content)).active
    donors = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert FORMULA in [c.value for c in donors] and all(c.data_type == "s" for c in donors)


@pytest.mark.parametrize("persona", PERSONAS)
def test_other_list_pages_download_as_the_page_answers(world, personas, login, persona):
    client = login(_user(personas, persona))
    for url, stem in [("/allocations/runs/", "allocation-runs"), ("/training/seat-plans/", "seat-plans"),
                      ("/whatif/", "whatif-scenarios"), ("/whatif/?list=sweeps&", "whatif-sweeps"),
                      ("/shipments/discrepancies/", "discrepancies"), (f"/hubs/{world.hub.pk}/stock/", "stock"),
                      ("/training/readiness/", "readiness")]:
        page = client.get(url.replace("?list=sweeps&", ""))
        for fmt in exports.FORMATS:
            response = client.get(url + ("" if url.endswith("&") else "?") + "format=" + fmt)
            assert response.status_code == page.status_code, (persona, url, fmt)
            if page.status_code == 200:
                assert f'filename="aidbridge-{stem}' in response["Content-Disposition"], (persona, url)
        if page.status_code == 200:
            bad = client.get(url + ("" if url.endswith("&") else "?") + "format=pdf")
            assert bad.status_code == 422, (persona, url)


def test_hub_stock_download_lists_the_filtered_ledger(world, personas, login):
    logistics.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=4, reason="count",
                           note="=1+1")
    rows = _csv(login(personas.hub_pl).get(f"/hubs/{world.hub.pk}/stock/?format=csv"))
    assert rows[0][:3] == ["#", "When", "Kind"] and len(rows) == 2
    assert rows[1][4] == world.item.code and rows[1][5] == "4" and rows[1][9] == "'=1+1"


# --- API lists --------------------------------------------------------------------------------------------

def _api_lists() -> list[str]:
    """Every API list that takes ``?format=`` and needs no path parameter."""
    paths = []
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                contributed = getattr(op.view_func, "_ninja_contribute_args", [])
                exporting = any(name == "ninja_export" for name, *_ in contributed)
                if "GET" in op.methods and exporting and "{" not in path:
                    paths.append("/api/v1" + path)
    return sorted(set(paths))


def test_every_api_list_takes_a_format():
    lists = _api_lists()
    for expected in ("/api/v1/organisations", "/api/v1/items", "/api/v1/locations", "/api/v1/hubs",
                     "/api/v1/requirements", "/api/v1/pledges", "/api/v1/allocations", "/api/v1/allocation-runs",
                     "/api/v1/shipments", "/api/v1/stock-movements", "/api/v1/courses", "/api/v1/training-requests",
                     "/api/v1/enrolments", "/api/v1/seat-plans", "/api/v1/scenarios", "/api/v1/scenarios/sweeps"):
        assert expected in lists
    schema = api.get_openapi_schema()
    parameters = schema["paths"]["/api/v1/items"]["get"]["parameters"]
    assert any(p["name"] == "format" for p in parameters)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_api_list_downloads_exactly_its_json(world, personas, login, persona):
    client = login(_user(personas, persona))
    for url in _api_lists():
        listed = client.get(url + "?limit=100")
        for fmt in exports.FORMATS:
            response = client.get(url + "?format=" + fmt)
            assert response.status_code == listed.status_code, (persona, url, fmt)
            if listed.status_code != 200:
                continue
            rows = _csv(response) if fmt == "csv" else _xlsx(response)
            items = listed.json()["items"]
            assert len(rows) - 1 == listed.json()["count"] == len(items), (persona, url, fmt)
            if items and "id" in rows[0]:
                column = rows[0].index("id")
                assert [int(r[column]) for r in rows[1:]] == [item["id"] for item in items], (persona, url)


def test_api_downloads_withhold_what_the_json_withholds(world, personas, login):
    client = login(personas.donor_us)
    items = {p["reference"]: p for p in client.get("/api/v1/pledges").json()["items"]}
    rows = _csv(client.get("/api/v1/pledges?format=csv"))
    header = rows[0]
    assert header[:5] == ["id", "reference", "donor.id", "donor.short_name", "donor.name"]
    by_ref = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    coalition = by_ref[world.pledge_coalition.reference]
    assert items[world.pledge_coalition.reference]["unit_value"] is None
    assert coalition["unit_value"] == coalition["origin_country"] == coalition["notes"] == ""
    assert coalition["redacted"] == "; ".join(items[world.pledge_coalition.reference]["redacted"])
    assert by_ref[world.pledge_public.reference]["unit_value"] == "45000.00"


def test_api_downloads_keep_filters_limit_and_offset(world, personas, login):
    client = login(personas.coordinator)
    committed = _csv(client.get("/api/v1/pledges?status=committed&format=csv"))
    assert {r[1] for r in committed[1:]} == {world.pledge_coalition.reference, world.pledge_public.reference}
    page = _csv(client.get("/api/v1/pledges?format=csv&limit=1&offset=1"))
    assert len(page) == 2 and page[1][1] == client.get("/api/v1/pledges?limit=1&offset=1").json()["items"][0][
        "reference"]
    assert client.get("/api/v1/pledges?format=pdf").status_code == 422
    assert client.get("/api/v1/pledges?status=lost&format=csv").status_code == 422
    response = client.get("/api/v1/items?format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="aidbridge-items-2026-03-11.xlsx"'


def test_api_downloads_escape_formulas(world, personas, login):
    Organisation.objects.filter(pk=personas.orgs["us"].pk).update(name=FORMULA)
    client = login(personas.coordinator)
    rows = _csv(client.get("/api/v1/organisations?format=csv"))
    assert "'" + FORMULA in [cell for r in rows for cell in r]
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/pledges?format=xlsx").content)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)


def test_financial_pledge_downloads_withhold_what_the_page_withholds(world, personas, login):
    made = money_world.build(personas)
    client = login(personas.donor_us)
    rows = _csv(client.get("/pledges/financial/?format=csv"))
    header, by_ref = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[2:4] == ["Amount", "Amount currency"]
    assert (by_ref[made.de_coalition.reference]["Amount"], by_ref[made.de_coalition.reference]["Pledged"]) == (
        "withheld", made.de_coalition.pledged_on.strftime("%Y-%m"))
    assert by_ref[made.de_pounds.reference]["Amount"] == "300000.00"  # public and disclosed
    assert by_ref[made.us_later.reference]["Amount currency"] == "USD"  # its own
    api_rows = _csv(client.get("/api/v1/financial-pledges?format=csv"))
    assert len(api_rows) == len(rows)
    amount = api_rows[0].index("amount")
    assert {r[amount] for r in api_rows[1:] if r[api_rows[0].index("reference")] == made.de_coalition.reference} == {""}


def test_a_grouped_list_keeps_a_total_order(world):
    # Django drops Meta.ordering from a grouped query: PostgreSQL then paged (and downloaded) in plan order.
    # (``with_use`` sums in subqueries now and keeps its ordering; an aggregate over a join still groups.)
    grouped = Pledge.objects.annotate(lines=Count("allocation_lines"))
    assert "ORDER BY" not in str(grouped.query)
    assert "ORDER BY" in str(Pledge.objects.with_use().query)
    assert stable_order(grouped).query.order_by == ("available_from", "pk")
    assert stable_order(grouped.order_by("-pk")).query.order_by == ("-pk",)  # an order a view chose stays
    assert stable_order([3, 1]) == [3, 1]
