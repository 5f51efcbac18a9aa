"""Numbers that do not mislead on the dashboard and on a pledge's allocations (issue #8, point 9)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aidbridge.allocation import services as allocation
from aidbridge.core.tests.svgcheck import assert_texts_fit, chart_texts, labels_and_tooltips


def test_dashboard_keeps_long_donor_names_readable(world, personas, login):
    page = login(personas.coordinator).get("/").content.decode()
    assert_texts_fit(page)
    donor = personas.orgs["de"].name  # "Germany — Federal Ministry of Defence"
    pairs = [(label, title) for label, title in labels_and_tooltips(page) if title.startswith(donor)]
    assert pairs, labels_and_tooltips(page)
    for label, _title in pairs:
        assert label == donor or label.endswith("…")


def test_dashboard_fill_is_in_tonnes_never_units_of_different_items(world, personas, login):
    """80 generators (2.1 t each) required: 168 t, not "80 units" that would also count trauma kits."""
    page = login(personas.coordinator).get("/").content.decode()
    totals = [text for _w, _title, texts in chart_texts(page) for cls, _x, _e, text in texts
              if cls == "c-value" and not text[:1].isalpha()]
    assert "168.0 t" in totals
    assert not any(text.endswith("units") for text in totals)


@pytest.mark.parametrize("name, pledges, requirements, values", [
    ("coordinator", True, True, True),
    # A donor's home counts its own pledges, all of which it sees; its backfill requests and the values of the
    # other donors' pledges are what it may see.
    ("donor_de", False, True, True),
    ("auditor", False, False, False),
])
def test_dashboard_says_when_figures_count_only_what_the_viewer_may_see(world, personas, login, name, pledges,
                                                                         requirements, values):
    page = login(getattr(personas, name)).get("/").content.decode()
    assert ("Pledges you may see only." in page) is pledges
    assert ("Requirements you may see only." in page) is requirements
    assert ("Pledges whose value you may see only." in page) is values


def test_dashboard_value_has_thousands_separators(world, personas, login):
    page = login(personas.donor_de).get("/").content.decode()
    assert "2,250,000" in page  # 50 × 45,000 EUR


def test_pledge_allocations_agree_with_its_allocated_total(world, personas, login):
    """An outsider sees a public pledge's allocated total but not the requirement it goes to."""
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                        hub=world.hub, quantity=50)
    url = reverse("pledges:pledge", args=[world.pledge_public.pk])
    outside = login(personas.outsider).get(url).content.decode()
    assert "Not allocated yet" not in outside
    assert "50 of 50 allocated units are on requirements you cannot see." in outside
    inside = login(personas.coordinator).get(url).content.decode()
    assert "Not allocated yet" not in inside and "you cannot see" not in inside
    assert world.requirement.reference in inside


def allocations_card(page: str) -> str:
    start = page.index('id="lines-heading"')
    return page[start:page.index("</section>", start)]


def test_an_unallocated_pledge_still_says_so(world, personas, login):
    page = login(personas.outsider).get(reverse("pledges:pledge", args=[world.pledge_public.pk])).content.decode()
    card = allocations_card(page)
    assert "Not allocated yet" in card and "you cannot see" not in card


def test_requirement_allocations_agree_with_its_fill(world, personas, login):
    """The recipient sees its requirement's fill but not a coordinators-only pledge allocated to it."""
    from aidbridge.pledges import services as pledges

    pledge = pledges.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    allocation.allocate(actor=personas.coordinator, pledge=pledge, requirement=world.requirement,
                        hub=world.hub, quantity=20)
    page = login(personas.recipient).get(
        reverse("requirements:requirement", args=[world.requirement.pk])).content.decode()
    card = allocations_card(page)
    assert "Nothing allocated yet" not in card
    assert "20 further units are allocated from pledges not released to you." in card
