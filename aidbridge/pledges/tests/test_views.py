from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from aidbridge.accounts import services as accounts
from aidbridge.allocation import services as allocation
from aidbridge.audit.models import AuditEvent
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import Pledge, SourceDocument

Status = Pledge.Status
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def url(name: str, obj) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"pledges:{name}", args=[obj.pk])


def pledge_form(world, **overrides: object) -> dict[str, object]:
    data = {"item": world.item.pk, "quantity": "40", "available_from": dt.date.today().isoformat(),
            "origin_country": "DE", "unit_value": "1000.00", "currency": "EUR", "funding_source": "stockpile",
            "releasability": "coalition", "disclosure_date": "", "notes": ""}
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


# Lists


def test_list_shows_allocated_against_quantity(world, personas, allocate_line, login):
    allocate_line(20)
    html = login(personas.coordinator).get("/pledges/").content.decode()
    assert world.pledge_coalition.reference in html and "20 / 50" in html


def test_list_query_count_is_bounded(world, personas, login, django_assert_max_num_queries):
    for _ in range(30):
        p = pledges.create_pledge(actor=personas.donor_de, item=world.item, quantity=3,
                                  available_from=dt.date.today(), origin_country="DE", unit_value=Decimal(10),
                                  currency="EUR", funding_source="stockpile")
        pledges.commit_pledge(actor=personas.donor_de, pledge=p)
        allocation.allocate(actor=personas.coordinator, pledge=p, requirement=world.requirement, hub=world.hub,
                            quantity=1)
    client = login(personas.coordinator)
    with django_assert_max_num_queries(9):
        response = client.get(f"/pledges/?organisation={personas.orgs['de'].pk}")
    assert response.content.decode().count("1 / 3") == 30


def test_releasability_decides_who_lists_what(world, personas, login):
    html = login(personas.donor_us).get("/pledges/").content.decode()
    assert world.pledge_coalition.reference in html
    assert world.pledge_coordinators.reference not in html
    html = login(personas.outsider).get("/pledges/").content.decode()
    assert world.pledge_public.reference in html
    assert world.pledge_coalition.reference not in html and world.pledge_public_later.reference not in html


# Detail, create, edit


@pytest.mark.parametrize("name", ["pledge", "pledge_edit"])
def test_outsider_gets_404_for_pages(world, personas, login, name):
    assert login(personas.outsider).get(url(name, world.pledge_coalition)).status_code == 404


@pytest.mark.parametrize("name", ["pledge_edit", "pledge_commit", "pledge_withdraw", "pledge_documents"])
def test_outsider_gets_404_for_writes(world, personas, login, name):
    before = AuditEvent.objects.count()
    assert login(personas.outsider).post(url(name, world.pledge_coalition), {"title": "x"}).status_code == 404
    assert AuditEvent.objects.count() == before


def test_detail_shows_buttons_history_and_document_form_to_the_owner(world, personas, login):
    html = login(personas.donor_de).get(url("pledge", world.pledge_coordinators)).content.decode()
    assert url("pledge_commit", world.pledge_coordinators) in html
    assert url("pledge_withdraw", world.pledge_coordinators) in html
    assert "pledge.create" in html and "Add a source document" in html


def test_detail_hides_owner_controls_from_others(world, personas, login):
    html = login(personas.coordinator).get(url("pledge", world.pledge_coordinators)).content.decode()
    assert url("pledge_commit", world.pledge_coordinators) not in html
    assert url("pledge_edit", world.pledge_coordinators) not in html
    assert "Add a source document" not in html


def test_donor_creates_a_pledge_and_it_is_audited(world, personas, login):
    before = events("pledge.create")
    response = login(personas.donor_de).post("/pledges/add/", pledge_form(world))
    created = Pledge.objects.latest("pk")
    assert response["Location"] == url("pledge", created)
    assert created.donor == personas.orgs["de"] and created.status == Status.ANNOUNCED
    assert events("pledge.create") == before + 1


def test_donor_edits_a_pledge_and_it_is_audited(world, personas, login):
    before = events("pledge.update")
    response = login(personas.donor_de).post(url("pledge_edit", world.pledge_coalition),
                                             pledge_form(world, quantity="55", unit_value="45000"))
    assert response.status_code == 302
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.quantity == 55
    assert events("pledge.update") == before + 1


def test_a_public_pledge_without_disclosure_date_is_refused(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.donor_de).post("/pledges/add/", pledge_form(world, releasability="public"))
    assert response.status_code == 422
    assert response.context["form"].errors
    assert AuditEvent.objects.count() == before


def test_quantity_below_allocated_is_refused_next_to_the_field(world, personas, allocate_line, login):
    allocate_line(30)
    response = login(personas.donor_de).post(url("pledge_edit", world.pledge_coalition),
                                             pledge_form(world, quantity="20", unit_value="45000"))
    assert response.status_code == 422
    assert "30 units are already allocated" in str(response.context["form"].errors["quantity"])


def test_a_coordinator_may_not_add_pledges(world, personas, login):
    assert login(personas.coordinator).get("/pledges/add/").status_code == 403


# Transitions


def test_commit_is_audited(world, personas, login):
    before = events("pledge.commit")
    response = login(personas.donor_de).post(url("pledge_commit", world.pledge_coordinators), follow=True)
    assert "Committed." in response.content.decode()
    world.pledge_coordinators.refresh_from_db()
    assert world.pledge_coordinators.status == Status.COMMITTED
    assert events("pledge.commit") == before + 1


def test_withdraw_is_audited(world, personas, login):
    before = events("pledge.withdraw")
    login(personas.donor_de).post(url("pledge_withdraw", world.pledge_coalition))
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Status.WITHDRAWN
    assert events("pledge.withdraw") == before + 1


def test_committing_a_withdrawn_pledge_shows_the_error_and_changes_nothing(world, personas, login):
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    before = AuditEvent.objects.count()
    response = login(personas.donor_de).post(url("pledge_commit", world.pledge_coalition), follow=True)
    html = response.content.decode()
    assert "msg-error" in html and "“Withdrawn” is final" in html
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Status.WITHDRAWN
    assert AuditEvent.objects.count() == before


def test_another_donor_may_not_commit(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.donor_us).post(url("pledge_commit", world.pledge_coalition))
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


# Source documents


def test_adding_a_url_document_is_audited(world, personas, login):
    before = events("source_document.create")
    response = login(personas.donor_de).post(url("pledge_documents", world.pledge_coalition),
                                             {"title": "Press release", "url": "https://example.org/p",
                                              "sha256": "ab" * 32})
    assert response.status_code == 302
    document = SourceDocument.objects.get()
    assert document.url == "https://example.org/p" and list(document.pledges.all()) == [world.pledge_coalition]
    assert events("source_document.create") == before + 1


def test_uploading_a_file_is_audited_and_downloads_as_attachment(world, personas, login):
    before = events("source_document.create")
    upload = SimpleUploadedFile("article.pdf", PDF, content_type="application/pdf")
    login(personas.donor_de).post(url("pledge_documents", world.pledge_coalition),
                                  {"title": "Article", "file": upload})
    document = SourceDocument.objects.get()
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert events("source_document.create") == before + 1
    response = login(personas.coordinator).get(reverse("pledges:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="article.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_outsider_cannot_download(world, personas, login):
    document = pledges.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                           title="Secret", content=PDF, filename="s.pdf")
    response = login(personas.outsider).get(reverse("pledges:document_download", args=[document.pk]))
    assert response.status_code == 404


def test_a_url_only_document_has_nothing_to_download(world, personas, login):
    document = pledges.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                           title="Link", url="https://example.org/x")
    response = login(personas.coordinator).get(reverse("pledges:document_download", args=[document.pk]))
    assert response.status_code == 404


def test_a_refused_file_type_is_shown_next_to_the_file_field(world, personas, login):
    before = AuditEvent.objects.count()
    upload = SimpleUploadedFile("x.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", content_type="x")
    response = login(personas.donor_de).post(url("pledge_documents", world.pledge_coalition),
                                             {"title": "Binary", "file": upload})
    assert response.status_code == 422
    assert "Only PDF, PNG, JPEG" in str(response.context["document_form"].errors["file"])
    assert AuditEvent.objects.count() == before and not SourceDocument.objects.exists()


def test_a_document_needs_a_url_or_a_file(world, personas, login):
    response = login(personas.donor_de).post(url("pledge_documents", world.pledge_coalition), {"title": "Empty"})
    assert response.status_code == 422
    assert "Give a URL or upload a file" in response.content.decode()


def test_only_the_donor_may_add_documents(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post(url("pledge_documents", world.pledge_coalition),
                                                {"title": "x", "url": "https://example.org"})
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def row_of(html: str, reference: str) -> str:
    start = html.rindex("<tr>", 0, html.index(f">{reference}<"))
    return html[start:html.index("</tr>", start)]


@pytest.mark.django_db(transaction=True)
def test_a_cached_list_is_the_viewers_own_and_a_write_refreshes_it(world, personas, login):
    """Outside a transaction a list's table is cached until the next write (``ObjectListView.render_results``):
    each viewer still gets the rows and fields it may see, the htmx fragment is the page's own table, and a new
    pledge is listed at once."""
    assert not connection.in_atomic_block
    de, us = login(personas.donor_de), login(personas.donor_us)
    hidden = world.pledge_coordinators.reference  # donor-de's, for coordinators only
    for _ in range(2):  # rendered, then from the cache
        page_de, page_us = de.get("/pledges/").content.decode(), us.get("/pledges/").content.decode()
        assert hidden in page_de and hidden not in page_us
        mine = world.pledge_coalition.reference  # donor-de's: donor-us sees it with fields withheld
        assert "withheld" in row_of(page_us, mine) and "withheld" not in row_of(page_de, mine)
        fragment = de.get("/pledges/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results").content.decode()
        assert fragment.split('<span class="downloads"')[0].strip() in page_de
    new = pledges.create_pledge(actor=personas.donor_de, item=world.item, quantity=7,
                                available_from=world.pledge_coalition.available_from, origin_country="DE",
                                unit_value=Decimal("10"), currency="EUR", funding_source="stockpile",
                                releasability="coalition")
    assert new.reference in de.get("/pledges/").content.decode()
    assert new.reference in us.get("/pledges/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_cached_filter_form_is_the_viewers_own_keeps_its_values_and_follows_writes(world, personas, login):
    """Outside a transaction a list's filter form is cached until the next write (``ObjectListView.render_filters``):
    its choices are the viewer's own, its values and errors those of the address, and a new donor is offered at
    once."""
    assert not connection.in_atomic_block
    coordinator, outsider = login(personas.coordinator), login(personas.outsider)
    de = personas.orgs["de"]
    for _ in range(2):  # rendered, then from the cache
        assert f'<option value="{de.pk}"' in coordinator.get("/pledges/").content.decode()
        assert f'<option value="{de.pk}"' not in outsider.get("/pledges/").content.decode()
        chosen = coordinator.get(f"/pledges/?organisation={de.pk}&page=2").content.decode()
        assert f'<option value="{de.pk}" selected>' in chosen
        wrong = coordinator.get("/pledges/?available_after=someday")
        assert wrong.status_code == 422 and 'class="field-errors"' in wrong.content.decode()
        assert 'class="field-errors"' not in coordinator.get("/pledges/?page=2").content.decode()
    new = accounts.create_organisation(actor=personas.coordinator, name="Nordic Relief", short_name="NR",
                                       kind="donor", country="NO")
    assert f'<option value="{new.pk}"' in coordinator.get("/pledges/").content.decode()
