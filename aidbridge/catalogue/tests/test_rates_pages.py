"""Exchange-rate pages (/rates/) and the API (/api/v1/exchange-rates), as every persona."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import services
from aidbridge.catalogue.models import ExchangeRate
from aidbridge.core.tests.api_helpers import ListEndpointChecks, as_user, assert_not_found, assert_refused, new_events
from aidbridge.core.tests.test_pages import assert_self_contained

PERSONAS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl", "outsider", "anonymous")
DAILY = b"Date, USD, GBP, \n06 March 2026, 1.0842, 0.84310, \n"


@pytest.fixture
def usd(personas):
    return services.set_exchange_rate(actor=personas.coordinator, currency="USD", date=dt.date(2026, 3, 6),
                                      per_euro="1.0842")


def user_of(personas, persona):
    return None if persona == "anonymous" else getattr(personas, persona)


# --- every page as every persona --------------------------------------------------------------------------------

PAGES = [
    ("list", "get", "/rates/", None),
    ("detail", "get", "/rates/{pk}/", None),
    ("add form", "get", "/rates/add/", None),
    ("add", "post", "/rates/add/", {"currency": "GBP", "date": "2026-03-06", "per_euro": "0.8431"}),
    ("upload form", "get", "/rates/upload/", None),
    ("upload", "post", "/rates/upload/", "file"),
]


def expected(persona: str, page: str) -> int:
    if persona == "anonymous":
        return 302
    if page == "list":
        return 200  # the outsider's list is empty (see below)
    if page == "detail":
        return 404 if persona == "outsider" else 200
    if persona != "coordinator":
        return 403
    return 302 if page == "add" else 200


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p[0])
def test_every_page_as_every_persona(personas, login, usd, persona, page):
    name, method, path, data = page
    if data == "file":
        data = {"file": SimpleUploadedFile("eurofxref.csv", DAILY, content_type="text/csv")}
    client = login(user_of(personas, persona))
    before = ExchangeRate.objects.count(), AuditEvent.objects.count()
    response = getattr(client, method)(path.format(pk=usd.pk), data or {})
    want = expected(persona, name)
    assert response.status_code == want, (persona, name, response.status_code)
    if persona == "anonymous":
        assert response["Location"].startswith(settings.LOGIN_URL)
    wrote = (ExchangeRate.objects.count(), AuditEvent.objects.count()) != before
    assert wrote is (persona == "coordinator" and method == "post")
    html = response.content.decode()
    if want == 200 and name == "list":
        assert ("1.0842" in html) is (persona != "outsider")
        assert ('href="/rates/upload/"' in html) is (persona == "coordinator")
        assert ('href="/rates/add/"' in html) is (persona == "coordinator")


# --- pages ------------------------------------------------------------------------------------------------------

def test_the_list_is_by_date_and_filters(personas, login, usd):
    services.set_exchange_rate(actor=personas.coordinator, currency="GBP", date=dt.date(2026, 3, 5), per_euro="0.84")
    services.set_exchange_rate(actor=personas.coordinator, currency="USD", date=dt.date(2026, 3, 5), per_euro="1.08")
    client = login(personas.donor_de)
    html = client.get("/rates/").content.decode()
    assert html.index("2026-03-06") < html.index("2026-03-05")  # newest first
    only_gbp = client.get("/rates/?currency=gbp").content.decode()
    assert "0.84" in only_gbp and "1.0842" not in only_gbp
    assert "1.0842" not in client.get("/rates/?date_before=2026-03-05").content.decode()


def test_entering_a_rate_for_a_known_day_corrects_it(personas, login, usd):
    response = login(personas.coordinator).post("/rates/add/", {"currency": "USD", "date": "2026-03-06",
                                                                "per_euro": "1.0850"})
    assert response.status_code == 302
    usd.refresh_from_db()
    assert usd.per_euro == Decimal("1.0850") and ExchangeRate.objects.count() == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"currency": "USD", "date": "2026-12-06", "per_euro": "1.1"}, "date"),
    ({"currency": "EUR", "date": "2026-03-06", "per_euro": "1"}, "currency"),
    ({"currency": "USD", "date": "2026-03-06", "per_euro": "0"}, "per_euro"),
])
def test_the_form_names_the_field_in_error(personas, login, data, field):
    response = login(personas.coordinator).post("/rates/add/", data)
    assert response.status_code == 422 and field in response.context["form"].errors
    assert not ExchangeRate.objects.exists()


def test_the_detail_page_shows_the_rate_and_its_history(personas, login, usd):
    services.import_ecb_rates(actor=personas.coordinator, content=b"Date,USD\n2026-03-06,1.0900\n", filename="d.csv")
    html = login(personas.donor_de).get(f"/rates/{usd.pk}/").content.decode()
    assert "1.09" in html and "exchange_rate.import" in html and "exchange_rate.create" in html


def test_uploading_a_dry_run_then_the_file(personas, login):
    client = login(personas.coordinator)
    dry = client.post("/rates/upload/", {"file": SimpleUploadedFile("eurofxref.csv", DAILY), "dry_run": "on"})
    assert dry.status_code == 200 and "Dry run" in dry.content.decode() and not ExchangeRate.objects.exists()
    real = client.post("/rates/upload/", {"file": SimpleUploadedFile("eurofxref.csv", DAILY)})
    html = real.content.decode()
    assert real.status_code == 200 and "2 new" in html and ExchangeRate.objects.count() == 2


def test_a_bad_upload_lists_every_problem_by_row_and_column(personas, login):
    content = b"Date,USD,GBP\n2026-03-06,1.08,x\n2026-03-05,-1,0.84\n"
    response = login(personas.coordinator).post("/rates/upload/", {"file": SimpleUploadedFile("bad.csv", content)})
    html = response.content.decode()
    assert response.status_code == 422 and "Nothing was imported" in html
    assert "<td class=\"k-number\">2</td><td>GBP</td><td><code>x</code></td>" in html
    assert "<td class=\"k-number\">3</td><td>USD</td><td><code>-1</code></td>" in html
    assert not ExchangeRate.objects.exists()


def test_an_upload_over_the_limit_is_refused_unread(personas, login, settings):
    settings.MAX_UPLOAD_BYTES = 20
    response = login(personas.coordinator).post("/rates/upload/", {"file": SimpleUploadedFile("big.csv", DAILY)})
    assert response.status_code == 422 and "limit" in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_the_navigation_links_the_rates(personas, login):
    assert 'href="/rates/"' in login(personas.recipient).get("/rates/").content.decode()


# --- API --------------------------------------------------------------------------------------------------------

class TestExchangeRateEndpoints(ListEndpointChecks):
    path = "/exchange-rates"

    @pytest.fixture
    def target(self, usd):
        return usd

    def add_rows(self, world, personas, n):
        for i in range(n):
            ExchangeRate.objects.create(currency="JPY", date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
                                        per_euro=Decimal("160"))


def test_the_api_sets_a_rate_then_corrects_it(personas):
    api = as_user(personas.coordinator)
    with new_events() as events:
        created = api.post("/exchange-rates", {"currency": "usd", "date": "2026-03-06", "per_euro": "1.0842"})
    assert created.status_code == 201 and created.json()["currency"] == "USD" and len(events) == 1
    corrected = api.post("/exchange-rates", {"currency": "USD", "date": "2026-03-06", "per_euro": "1.0850"})
    assert corrected.status_code == 200 and Decimal(corrected.json()["per_euro"]) == Decimal("1.0850")
    assert_refused(api.post("/exchange-rates", {"currency": "EUR", "date": "2026-03-06", "per_euro": "1"}), 422,
                   field="currency")
    assert_refused(as_user(personas.donor_de).post("/exchange-rates", {"currency": "GBP", "date": "2026-03-06",
                                                                       "per_euro": "0.84"}), 403)


def test_the_api_lists_and_filters(personas, usd):
    api = as_user(personas.hub_pl)
    assert api.get("/exchange-rates", {"currency": "USD"}).json()["count"] == 1
    assert api.get("/exchange-rates", {"currency": "GBP"}).json()["count"] == 0
    assert api.get("/exchange-rates", {"date_after": "2026-03-07"}).json()["count"] == 0
    assert_refused(api.get("/exchange-rates", {"source": "bank"}), 422, field="source")
    assert_not_found(as_user(personas.outsider).get(f"/exchange-rates/{usd.pk}"))


def test_the_api_uploads_an_ecb_file(personas):
    api = as_user(personas.coordinator)
    dry = api.upload("/exchange-rates/upload", {"file": SimpleUploadedFile("eurofxref.csv", DAILY), "dry_run": "true"})
    assert dry.status_code == 200 and dry.json()["created"] == 2 and dry.json()["dry_run"]
    assert not ExchangeRate.objects.exists()
    body = api.upload("/exchange-rates/upload", {"file": SimpleUploadedFile("eurofxref.csv", DAILY)}).json()
    assert (body["ok"], body["layout"], body["created"], body["last_date"]) == (True, "daily", 2, "2026-03-06")
    again = api.upload("/exchange-rates/upload", {"file": SimpleUploadedFile("eurofxref.csv", DAILY)}).json()
    assert (again["created"], again["unchanged"]) == (0, 2)


def test_the_api_refuses_a_bad_file_naming_row_and_column(personas):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.upload("/exchange-rates/upload",
                              {"file": SimpleUploadedFile("bad.csv", b"Date,USD\n2026-03-06,abc\n")})
    body = assert_refused(response, 422, field="file", events=events)
    assert body["errors"]["file"][0].startswith("Row 2, column USD “abc”:")
    assert_refused(as_user(personas.donor_de).upload("/exchange-rates/upload",
                                                     {"file": SimpleUploadedFile("eurofxref.csv", DAILY)}), 403)
    assert not ExchangeRate.objects.exists()


def test_the_pages_are_self_contained(personas, login, usd):
    client = login(personas.coordinator)
    for url in ("/rates/", "/rates/add/", "/rates/upload/", f"/rates/{usd.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_self_contained(response.content.decode())
