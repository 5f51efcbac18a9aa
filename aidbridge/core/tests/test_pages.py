"""Every page renders, loads nothing from outside the server, and keeps to a strict-CSP-friendly markup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.core import charts
from aidbridge.pledges import services as pledges

EXTERNAL = re.compile(r"""\b(?:src|href|action|formaction|srcset|poster)\s*=\s*["']?\s*(?:https?:|//)""", re.I)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>\s*\S", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]*\sstyle\s*=", re.I)


def assert_self_contained(html: str) -> None:
    assert not EXTERNAL.findall(html), "page references an external URL"
    assert not INLINE_SCRIPT.findall(html), "page has an inline <script> body"
    assert not INLINE_HANDLER.findall(html), "page has an inline event handler"
    assert not INLINE_STYLE.findall(html), "page has an inline style attribute"


def all_pages(world, line, document) -> list[str]:
    pages = ["/", "/accounts/tokens/", "/organisations/", "/organisations/add/", "/catalogue/", "/catalogue/add/",
             "/locations/", "/locations/add/", "/hubs/", "/hubs/add/", "/requirements/", "/pledges/",
             "/allocations/", "/requirements/?status=validated&priority=1&q=gen", "/pledges/?status=committed",
             f"/allocations/?hub={world.hub.pk}", "/allocations/runs/", "/transparency/"]
    for obj in (world.item, world.lviv, world.hub, world.requirement, world.pledge_coalition, line):
        name = f"{obj._meta.app_label}:{obj._meta.model_name}"
        pages.append(reverse(name, args=[obj.pk]))
    for obj in (world.item, world.lviv, world.hub):
        pages.append(reverse(f"{obj._meta.app_label}:{obj._meta.model_name}_edit", args=[obj.pk]))
    pages.append(reverse("accounts:organisation", args=[world.hub.operator_id]))
    pages.append(reverse("accounts:organisation_edit", args=[world.hub.operator_id]))
    return pages


@pytest.fixture
def rich_world(world, personas, allocate_line):
    line = allocate_line(10)
    document = pledges.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                           title="Press release", url="https://example.org/press")
    return world, line, document


def test_every_page_renders_self_contained_for_the_coordinator(rich_world, personas, login):
    world, line, document = rich_world
    client = login(personas.coordinator)
    for url in all_pages(world, line, document):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_self_contained(html)
        assert "/static/django_htmx/htmx-2" in html, url
        assert "/static/aidbridge/app.css" in html, url


def test_owner_pages_render_self_contained(rich_world, personas, login):
    world, line, document = rich_world
    for user, urls in (
        (personas.recipient, ["/requirements/add/",
                              reverse("requirements:requirement", args=[world.draft_requirement.pk]),
                              reverse("requirements:requirement_edit", args=[world.draft_requirement.pk])]),
        (personas.donor_de, ["/pledges/add/", reverse("pledges:pledge", args=[world.pledge_coalition.pk]),
                             reverse("pledges:pledge_edit", args=[world.pledge_coalition.pk])]),
    ):
        client = login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert_self_contained(response.content.decode())


def test_login_and_error_pages_are_self_contained(db, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_self_contained(response.content.decode())
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert b"Not found" in missing.content
    assert_self_contained(missing.content.decode())


def test_forbidden_page_shows_the_message(world, personas, login):
    response = login(personas.donor_de).post(reverse("requirements:requirement_close", args=[world.requirement.pk]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only coordinator editors may close requirements" in html
    assert_self_contained(html)


def test_the_url_shown_for_a_source_document_is_text_not_a_link(rich_world, personas, login):
    world, *_ = rich_world
    html = login(personas.coordinator).get(reverse("pledges:pledge", args=[world.pledge_coalition.pk])).content
    assert b"https://example.org/press" in html
    assert_self_contained(html.decode())


def test_healthz_answers_ok_without_login(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_anonymous_users_are_sent_to_login(db, client):
    for url in ("/", "/requirements/", "/pledges/", "/allocations/", "/hubs/", "/accounts/tokens/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_dashboard_counts_and_charts(rich_world, personas, login):
    world, line, _ = rich_world
    html = login(personas.coordinator).get("/").content.decode()
    assert "Requirements by priority and status" in html
    assert 'class="hbar"' in html and 'class="stacked"' in html
    assert "Germany — Federal Ministry of Defence" in html  # a donor bar
    assert "Unrelated Agency" not in html


def test_dashboard_counts_only_what_the_user_sees(rich_world, personas, login):
    """An outsider's home has no figures of its own: it points to the public transparency page."""
    html = login(personas.outsider).get("/").content.decode()
    assert "Germany — Federal Ministry of Defence" not in html  # coalition pledges are hidden from outsiders
    assert 'href="/transparency/"' in html and "Open the transparency page" in html


def test_dashboard_query_count_is_bounded(rich_world, personas, login, django_assert_max_num_queries):
    client = login(personas.coordinator)
    client.get("/")
    with django_assert_max_num_queries(15):  # 14, and the financial pledges (issue 13) read with the rates
        client.get("/")


def test_htmx_filter_request_returns_only_the_results(world, personas, login):
    client = login(personas.coordinator)
    response = client.get("/requirements/?status=validated", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert "<html" not in html and "<table" in html
    assert world.requirement.reference in html and world.draft_requirement.reference not in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/requirements/?status=validated", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results",
                      HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in full.content.decode()


def test_pagination_keeps_the_filters(world, personas, login):
    from aidbridge.requirements import services as requirements

    for _ in range(51):
        requirements.create_requirement(actor=personas.recipient, item=world.item, quantity=1, priority=3,
                                        due_date=world.requirement.due_date, destination=world.lviv)
    client = login(personas.recipient)
    html = client.get("/requirements/?status=draft").content.decode()
    assert "page 1 of 2" in html
    assert "?status=draft&amp;page=2" in html
    second = client.get("/requirements/?status=draft&page=2").content.decode()
    assert "page 2 of 2" in second


def test_history_shows_changed_fields_before_and_after(world, personas, login):
    from aidbridge.requirements import services as requirements

    requirements.update_requirement(actor=personas.recipient, requirement=world.draft_requirement,
                                    changes={"quantity": 12})
    html = login(personas.recipient).get(
        reverse("requirements:requirement", args=[world.draft_requirement.pk])).content.decode()
    assert "requirement.update" in html
    assert "<del>10</del> → <ins>12</ins>" in html
    assert AuditEvent.objects.for_object(world.draft_requirement).count() == 2


def test_release_line_fixture_is_visible(rich_world):
    assert AllocationLine.objects.count() == 1


def test_bar_geometry_scales_to_the_largest_value():
    chart = charts.horizontal_bars([("A", 100), ("B", 50), ("C", 0)], width=400, label_width=100, value_width=100)
    assert [bar.width for bar in chart.bars] == [200, 100, 0]
    assert chart.bars[1].y == chart.bar_height + 8
    assert chart.height == 3 * chart.bar_height + 2 * 8


def test_stacked_geometry_splits_each_row_into_shares():
    chart = charts.stacked_bars([("P1", [1, 1, 2, 0]), ("P2", [0, 0, 0, 0])], ["a", "b", "c", "d"],
                                width=300, label_width=50, total_width=50)
    first = chart.rows[0].segments
    assert [s.width for s in first] == [50, 50, 100, 0]
    assert [s.x for s in first] == [50, 100, 150, 250]
    assert [s.percent for s in first] == [25, 25, 50, 0]
    assert all(s.width == 0 for s in chart.rows[1].segments)


def test_long_labels_are_shortened_but_kept_in_full_for_the_tooltip():
    chart = charts.horizontal_bars([("x" * 50, 1)], label_chars=10)
    assert chart.bars[0].label == "x" * 9 + "…"
    assert chart.bars[0].full_label == "x" * 50


def test_item_filter_with_a_non_ascii_digit_or_huge_id_is_not_a_server_error(world, personas, login):
    client = login(personas.coordinator)
    for url in ("/pledges/", "/requirements/"):
        for value in ("²", "9" * 25, str(world.item.pk), world.item.code):
            assert client.get(url, {"item": value}).status_code == 200, (url, value)
