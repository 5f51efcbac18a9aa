"""Financial pledge pages: list with filters, detail with its amount in the reporting currency, form, transitions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import services as catalogue
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.tests.test_pages import assert_self_contained
from aidbridge.pledges import services
from aidbridge.pledges.models import FinancialPledge

FORM = {"amount": "1500000.00", "currency": "USD", "pledged_on": "2026-03-02", "sector": "72010",
        "purpose": "Winter fuel", "recipient_country": "UA", "releasability": "coalition", "disclosure_date": "",
        "notes": ""}


def pledge(actor, **fields):
    defaults = {"amount": Decimal("1000000"), "currency": "USD", "pledged_on": dt.date(2026, 3, 2),
                "purpose": "Winter fuel", "sector": "72010", "recipient_country": "UA"}
    return services.create_financial_pledge(actor=actor, **{**defaults, **fields})


def test_a_donor_adds_a_financial_pledge_through_the_form(personas, login):
    response = login(personas.donor_de).post("/pledges/financial/add/", FORM)
    created = FinancialPledge.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pledges/financial/{created.pk}/"
    assert (created.donor, created.amount, created.status) == (personas.orgs["de"], Decimal("1500000.00"), "announced")
    assert AuditEvent.objects.filter(action="financial_pledge.create", object_id=str(created.pk)).count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"sector": "7201"}, "sector"),
    ({"currency": "XXY"}, "currency"),
    ({"recipient_country": "ZZ"}, "recipient_country"),
    ({"releasability": "public"}, "disclosure_date"),  # public needs a disclosure date
    ({"pledged_on": ""}, "pledged_on"),
])
def test_the_form_names_the_field_in_error_and_writes_nothing(personas, login, change, field):
    response = login(personas.donor_de).post("/pledges/financial/add/", {**FORM, **change})
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert not FinancialPledge.objects.exists()


def test_the_owner_edits_commits_and_disburses_and_the_history_tells_it(personas, login):
    p = pledge(personas.donor_de)
    client = login(personas.donor_de)
    assert client.post(f"/pledges/financial/{p.pk}/edit/", {**FORM, "purpose": "Generators"}).status_code == 302
    assert client.post(f"/pledges/financial/{p.pk}/commit/").status_code == 302
    p.refresh_from_db()
    assert (p.status, p.status_date, p.purpose) == ("committed", dt.date(2026, 3, 11), "Generators")
    page = client.get(f"/pledges/financial/{p.pk}/").content.decode()
    assert "financial_pledge.commit" in page and "financial_pledge.update" in page
    assert ">Disburse<" in page and ">Commit<" not in page
    assert client.post(f"/pledges/financial/{p.pk}/disburse/").status_code == 302
    p.refresh_from_db()
    assert p.status == "disbursed"
    page = client.get(f"/pledges/financial/{p.pk}/").content.decode()
    assert ">Disburse<" not in page and ">Withdraw<" not in page and ">Edit<" not in page
    # A disbursed pledge is final: the edit form is refused by the service, which says why.
    response = client.post(f"/pledges/financial/{p.pk}/edit/", {**FORM, "purpose": "Late change"})
    assert response.status_code == 422 and "can no longer be edited" in response.content.decode()


def test_a_refused_transition_is_reported_on_the_page(personas, login):
    p = services.withdraw_financial_pledge(actor=personas.donor_de, pledge=pledge(personas.donor_de))
    client = login(personas.donor_de)
    response = client.post(f"/pledges/financial/{p.pk}/commit/", follow=True)
    assert "is final" in response.content.decode()
    assert FinancialPledge.objects.get(pk=p.pk).status == "withdrawn"


def test_the_detail_shows_the_amount_in_the_reporting_currency_and_names_the_rate_date(personas, login):
    catalogue.set_exchange_rate(actor=personas.coordinator, currency="USD", date=dt.date(2026, 2, 27),
                                per_euro="1.25")
    p = pledge(personas.donor_de, amount=Decimal("1000000"))
    html = login(personas.donor_de).get(f"/pledges/financial/{p.pk}/").content.decode()
    assert "USD\u00a01,000,000.00" in html and "800,000.00 EUR" in html  # the cell's money filter, the converted sum
    assert 'datetime="2026-02-27"' in html and "reference rate of" in html


def test_a_missing_rate_is_shown_as_missing_never_as_zero(personas, login):
    catalogue.set_exchange_rate(actor=personas.coordinator, currency="USD", date=dt.date(2026, 3, 5),
                                per_euro="1.25")  # after the day it was pledged: not used
    p = pledge(personas.donor_de, pledged_on=dt.date(2026, 3, 2))
    html = login(personas.donor_de).get(f"/pledges/financial/{p.pk}/").content.decode()
    assert "missing" in html and "No exchange rate for USD" in html
    assert "0.00 EUR" not in html


def test_a_pledge_in_the_reporting_currency_needs_no_rate(personas, login):
    p = pledge(personas.donor_de, currency="EUR", amount=Decimal("250000"))
    html = login(personas.donor_de).get(f"/pledges/financial/{p.pk}/").content.decode()
    assert "250,000.00 EUR" in html and "no conversion" in html


def test_the_list_filters_by_status_donor_search_and_currency(personas, login):
    a = pledge(personas.donor_de, purpose="Demining fund", currency="EUR")
    b = services.commit_financial_pledge(actor=personas.donor_us, pledge=pledge(personas.donor_us, purpose="Hospitals"))
    client = login(personas.coordinator)

    def listed(query: str) -> set[str]:
        html = client.get("/pledges/financial/" + query).content.decode()
        return set(re.findall(r">(FIN-\d{5})<", html))

    assert listed("") == {a.reference, b.reference}
    assert listed("?status=committed") == {b.reference}
    assert listed(f"?organisation={personas.orgs['de'].pk}") == {a.reference}
    assert listed("?q=demin") == {a.reference}
    assert listed("?currency=usd") == {b.reference}
    response = client.get("/pledges/financial/?pledged_after=not-a-date")
    assert response.status_code == 422 and not listed("?pledged_after=not-a-date")


def test_the_list_query_count_is_bounded(personas, login, django_assert_max_num_queries):
    for i in range(30):
        pledge(personas.donor_de, purpose=f"Programme {i}")
    client = login(personas.coordinator)
    with django_assert_max_num_queries(9):
        html = client.get("/pledges/financial/").content.decode()
    assert html.count("Programme ") == 30


def test_the_two_lists_link_to_each_other_as_tabs(personas, login):
    client = login(personas.donor_de)
    in_kind = client.get("/pledges/").content.decode()
    assert '<a href="/pledges/financial/">Financial</a>' in in_kind
    assert '<a href="/pledges/" aria-current="page">In kind</a>' in in_kind
    financial = client.get("/pledges/financial/").content.decode()
    assert '<a href="/pledges/">In kind</a>' in financial
    assert 'href="/pledges/financial/add/"' in financial  # a donor's editor may add one
    assert 'href="/pledges/financial/add/"' not in login(personas.recipient).get("/pledges/financial/").content.decode()


def test_the_pages_are_self_contained(personas, login):
    p = pledge(personas.donor_de)
    client = login(personas.donor_de)
    for url in ("/pledges/financial/", "/pledges/financial/add/", f"/pledges/financial/{p.pk}/",
                f"/pledges/financial/{p.pk}/edit/", "/pledges/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_self_contained(response.content.decode())


def test_the_donors_page_counts_its_financial_pledges(personas, login):
    pledge(personas.donor_de)
    html = login(personas.coordinator).get(f"/organisations/{personas.orgs['de'].pk}/").content.decode()
    assert f'href="/pledges/financial/?organisation={personas.orgs["de"].pk}"' in html


def test_the_coordination_cell_records_money_on_a_donors_behalf(personas, login):
    client = login(personas.coordinator)
    form = client.get("/pledges/financial/add/").content.decode()
    assert 'name="donor"' in form  # the cell names the donor; a donor's own editor never sees this field
    assert 'name="donor"' not in login(personas.donor_de).get("/pledges/financial/add/").content.decode()
    assert client.post("/pledges/financial/add/", FORM).status_code == 422  # no donor named: refused, with the form
    response = client.post("/pledges/financial/add/", {**FORM, "donor": personas.orgs["us"].pk})
    created = FinancialPledge.objects.get()
    assert response.status_code == 302 and created.donor == personas.orgs["us"]
    event = AuditEvent.objects.get(action="financial_pledge.create", object_id=str(created.pk))
    assert event.actor_id == personas.coordinator.pk  # the cell's act, on the record as the cell's
    detail = client.get(f"/pledges/financial/{created.pk}/").content.decode()
    assert f'action="/pledges/financial/{created.pk}/commit/"' in detail
    services.commit_financial_pledge(actor=personas.coordinator, pledge=created)


@pytest.mark.parametrize("who", ["hub_pl", "recipient", "auditor", "outsider", "donor_us"])
def test_nobody_else_writes_a_donors_money(personas, who):
    p = pledge(personas.donor_de)
    with pytest.raises(NotPermitted, match="coordination cell"):
        services.commit_financial_pledge(actor=getattr(personas, who), pledge=p)
    with pytest.raises((NotPermitted, ServiceError)):
        pledge(getattr(personas, who), donor=personas.orgs["de"])
