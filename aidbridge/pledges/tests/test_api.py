"""/api/v1/pledges: CRUD, transitions, releasability, source documents and filters."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.core.tests.api_helpers import (
    MAX_LIST_QUERIES,
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_one_event,
    assert_refused,
    event_keys,
    key,
    new_events,
)
from aidbridge.pledges import services
from aidbridge.pledges.models import Pledge, SourceDocument

TODAY = dt.date.today()
PDF = b"%PDF-1.4\n% a tiny test document\n"


class TestPledgeEndpoints(ListEndpointChecks):
    path = "/pledges"
    outsider_sees = 1  # the public pledge whose disclosure date has passed

    @pytest.fixture
    def target(self, world):
        return world.pledge_coalition

    def add_rows(self, world, personas, n):
        for i in range(n):
            Pledge.objects.create(donor=personas.orgs["de"], item=world.other_item, quantity=10 + i,
                                  available_from=TODAY, origin_country="DE", unit_value=Decimal("5"),
                                  funding_source="stockpile", releasability="coalition")


def _new(world, **overrides):
    return {"item": world.item.pk, "quantity": 4, "available_from": TODAY.isoformat(), "origin_country": "DE",
            "unit_value": "1000.50", "currency": "EUR", "funding_source": "procurement", **overrides}


def test_output_has_reference_value_and_allocated(personas, world, allocate_line):
    allocate_line(10)
    body = as_user(personas.coordinator).get(f"/pledges/{world.pledge_coalition.pk}").json()
    assert body["reference"] == f"PLG-{world.pledge_coalition.pk:05d}"
    assert Decimal(body["total_value"]) == Decimal("45000") * 50
    assert (body["allocated"], body["unallocated"], body["status"]) == (10, 40, "allocated")
    assert (body["donor"]["short_name"], body["item"]["code"]) == ("de-mod", "GEN-100KW")
    listed = {row["id"]: row["allocated"] for row in as_user(personas.coordinator).get("/pledges").json()["items"]}
    assert listed[world.pledge_coalition.pk] == 10


def test_releasability_decides_who_sees_a_pledge(personas, world):
    outsider, donor_us = as_user(personas.outsider), as_user(personas.donor_us)
    assert outsider.get(f"/pledges/{world.pledge_public.pk}").status_code == 200
    assert_not_found(outsider.get(f"/pledges/{world.pledge_public_later.pk}"))
    assert_not_found(donor_us.get(f"/pledges/{world.pledge_coordinators.pk}"))
    assert as_user(personas.coordinator).get(f"/pledges/{world.pledge_coordinators.pk}").status_code == 200


def test_donor_announces_a_pledge_and_it_is_audited(personas, world):
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post("/pledges", _new(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["releasability"], body["donor"]["short_name"]) == ("announced", "coalition", "de-mod")
    assert Decimal(body["total_value"]) == Decimal("4002.00")
    assert_one_event(events, "pledge.create", Pledge.objects.get(pk=body["id"]))


@pytest.mark.parametrize(("overrides", "field"), [
    ({"releasability": "public"}, "disclosure_date"),
    ({"item": 987654}, "item"),
    ({"currency": "EURO"}, "currency"),
    ({"origin_country": "XX"}, "origin_country"),
    ({"funding_source": "lottery"}, "funding_source"),
    ({"quantity": 0}, "quantity"),
    ({"unit_value": "-1"}, "unit_value"),
    ({"donor": 987654}, "donor"),
])
def test_bad_values_are_refused_naming_the_field(personas, world, overrides, field):
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert_refused(api.post("/pledges", _new(world, **overrides)), 422, field=field, events=events)


def test_a_coordinator_cannot_pledge_and_an_outsider_cannot_name_hidden_items(personas, world):
    coordinator, outsider = as_user(personas.coordinator), as_user(personas.outsider)
    with new_events() as events:
        assert_refused(coordinator.post("/pledges", _new(world)), 422, field="donor")
        assert_refused(outsider.post("/pledges", _new(world)), 422, field="item")
    assert events == []


def test_patch_is_audited(personas, world):
    pledge = world.pledge_coalition
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.patch(f"/pledges/{pledge.pk}", {"quantity": 60, "notes": "two batches"})
    assert response.status_code == 200, response.content
    pledge.refresh_from_db()
    assert (pledge.quantity, pledge.notes) == (60, "two batches")
    assert_one_event(events, "pledge.update", pledge)


def test_patch_refusals(personas, world, allocate_line):
    allocate_line(30)
    pledge = world.pledge_coalition
    de, us, outsider = (as_user(p) for p in (personas.donor_de, personas.donor_us, personas.outsider))
    withdrawn = services.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    with new_events() as events:
        assert_refused(de.patch(f"/pledges/{pledge.pk}", {"quantity": 29}), 422, field="quantity")
        assert_refused(de.patch(f"/pledges/{pledge.pk}", {"item": 987654}), 422, field="item")
        assert_refused(de.patch(f"/pledges/{pledge.pk}", {"releasability": "public"}), 422)
        assert_refused(de.patch(f"/pledges/{withdrawn.pk}", {"quantity": 1}), 409, field="status")
        assert_refused(us.patch(f"/pledges/{pledge.pk}", {"quantity": 1}), 403)
        assert_not_found(outsider.patch(f"/pledges/{pledge.pk}", {"quantity": 1}))
    assert events == []
    pledge.refresh_from_db()
    assert (pledge.quantity, pledge.releasability) == (50, "coalition")


def test_commit_is_audited(personas, world):
    pledge = world.pledge_coordinators
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post(f"/pledges/{pledge.pk}/commit")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "committed"
    assert_one_event(events, "pledge.commit", pledge)


def test_committing_a_withdrawn_pledge_is_409_and_changes_nothing(personas, world):
    pledge = services.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    api = as_user(personas.donor_de)
    with new_events() as events:
        body = assert_refused(api.post(f"/pledges/{pledge.pk}/commit"), 409, field="status", events=events)
    assert "Withdrawn" in body["detail"] and "final" in body["detail"]
    pledge.refresh_from_db()
    assert pledge.status == "withdrawn"


def test_committing_twice_is_409(personas, world):
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert_refused(api.post(f"/pledges/{world.pledge_coalition.pk}/commit"), 409, events=events)


def test_withdraw_is_audited(personas, world):
    pledge = world.pledge_coordinators
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post(f"/pledges/{pledge.pk}/withdraw")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert_one_event(events, "pledge.withdraw", pledge)


def test_withdraw_releases_still_and_trims_moving_allocations(personas, world, allocate_line):
    still, moving = allocate_line(10), allocate_line(20)
    allocation.dispatch_allocation(actor=personas.coordinator, line=moving, quantity=5)
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert api.post(f"/pledges/{world.pledge_coalition.pk}/withdraw").status_code == 200
    assert event_keys(events) == [
        key("pledge.withdraw", world.pledge_coalition),
        key("allocation.release", ("allocation.allocationline", still.pk)),
        key("allocation.trim", moving),
    ]
    assert list(AllocationLine.objects.values_list("pk", "quantity")) == [(moving.pk, 5)]


def test_withdraw_refusals(personas, world):
    withdrawn = services.withdraw_pledge(actor=personas.donor_us, pledge=world.pledge_public_later)
    us, outsider = as_user(personas.donor_us), as_user(personas.outsider)
    with new_events() as events:
        assert_refused(us.post(f"/pledges/{withdrawn.pk}/withdraw"), 409, field="status")
        assert_refused(us.post(f"/pledges/{world.pledge_coalition.pk}/withdraw"), 403)
        for pledge in (world.pledge_coalition, world.pledge_coordinators):
            for action in ("commit", "withdraw"):
                assert_not_found(outsider.post(f"/pledges/{pledge.pk}/{action}"))
    assert events == []
    assert Pledge.objects.get(pk=world.pledge_coalition.pk).status == "committed"


# --- source documents ---------------------------------------------------------------------------------------

@pytest.fixture
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_attach_a_url_and_list_it(personas, world):
    api = as_user(personas.donor_de)
    path = f"/pledges/{world.pledge_coalition.pk}/documents"
    with new_events() as events:
        response = api.upload(path, {"title": "Tempo.co, 14 Oct 2024", "url": "https://example.org/nsatu"})
    assert response.status_code == 201, response.content
    document = SourceDocument.objects.get(pk=response.json()["id"])
    assert_one_event(events, "source_document.create", document)
    body = as_user(personas.coordinator).get(path).json()
    assert body["count"] == 1
    assert body["items"][0]["url"] == "https://example.org/nsatu" and not body["items"][0]["has_file"]


def test_upload_a_file_records_its_digest(personas, world, uploads):
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.upload(f"/pledges/{world.pledge_coalition.pk}/documents",
                              {"title": "Letter", "file": SimpleUploadedFile("letter.pdf", PDF)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (body["content_type"], body["size"], body["original_name"], body["has_file"]) == (
        "application/pdf", len(PDF), "letter.pdf", True)
    assert_one_event(events, "source_document.create", SourceDocument.objects.get(pk=body["id"]))


@pytest.mark.parametrize(("data", "field"), [
    ({"title": "Nothing attached"}, "file"),
    ({"url": "https://example.org/x"}, "title"),
    ({"title": "", "url": "https://example.org/x"}, "title"),
    ({"title": "Bad link", "url": "not a url"}, "url"),
    ({"title": "Binary", "file": b"\x00\x01\xfe\xff" * 10}, "file"),
    ({"title": "Bad digest", "url": "https://example.org/x", "sha256": "abc"}, "sha256"),
])
def test_document_refusals_name_the_field(personas, world, uploads, data, field):
    if isinstance(data.get("file"), bytes):
        data = {**data, "file": SimpleUploadedFile("blob.bin", data["file"])}
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert_refused(api.upload(f"/pledges/{world.pledge_coalition.pk}/documents", data), 422, field=field,
                       events=events)
    assert not SourceDocument.objects.exists()


def test_documents_are_guarded_like_their_pledge(personas, world):
    us, outsider = as_user(personas.donor_us), as_user(personas.outsider)
    reader, coordinator = as_user(personas.donor_de, scope="read"), as_user(personas.coordinator)
    data = {"title": "Mine", "url": "https://example.org/x"}
    path = f"/pledges/{world.pledge_coalition.pk}/documents"
    with new_events() as events:
        # Another donor sees the coalition pledge but not its documents (releasability): 404, as if absent.
        assert_not_found(us.upload(path, data))
        assert_not_found(us.get(path))
        assert_refused(coordinator.upload(path, data), 403)
        assert_refused(reader.upload(path, data), 403)
        assert_not_found(outsider.upload(path, data))
        assert_not_found(outsider.get(path))
    assert events == []


def test_document_list_query_count_is_bounded(personas, world, django_assert_max_num_queries):
    def attach(n):
        for i in range(n):
            services.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                         title=f"Doc {i}", url=f"https://example.org/{i}")

    api = as_user(personas.coordinator)
    attach(1)
    path = f"/pledges/{world.pledge_coalition.pk}/documents"
    api.get(path)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        assert api.get(path).json()["count"] == 1
    attach(6)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        assert len(api.get(path).json()["items"]) == 7


# --- filters ------------------------------------------------------------------------------------------------

def _ids(api, **params):
    return {row["id"] for row in api.get("/pledges", params).json()["items"]}


def test_filters_narrow_the_list(personas, world):
    api = as_user(personas.auditor)
    w = world
    everything = {w.pledge_coalition.pk, w.pledge_coordinators.pk, w.pledge_public.pk, w.pledge_public_later.pk}
    assert _ids(api) == everything
    assert _ids(api, status="committed") == {w.pledge_coalition.pk, w.pledge_public.pk}
    assert _ids(api, status=["announced"]) == {w.pledge_coordinators.pk, w.pledge_public_later.pk}
    assert _ids(api, item=str(w.other_item.pk)) == {w.pledge_public_later.pk}
    assert _ids(api, item="GEN-100KW") == everything - {w.pledge_public_later.pk}
    assert _ids(api, organisation=personas.orgs["us"].pk) == {w.pledge_public.pk, w.pledge_public_later.pk}
    assert _ids(api, supply_class="VIII") == {w.pledge_public_later.pk}
    assert _ids(api, supply_class="VII", organisation=personas.orgs["de"].pk) == {
        w.pledge_coalition.pk, w.pledge_coordinators.pk}
    assert _ids(api, releasability="coordinators") == {w.pledge_coordinators.pk}


@pytest.mark.parametrize(("param", "value"), [("status", "promised"), ("organisation", "de"),
                                              ("supply_class", "0"), ("releasability", "everyone")])
def test_an_invalid_filter_value_is_422_naming_it(personas, world, param, value):
    assert_refused(as_user(personas.coordinator).get("/pledges", {param: value}), 422, field=param)
