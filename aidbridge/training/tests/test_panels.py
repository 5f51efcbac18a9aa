"""What training adds to other apps' pages: the requirement's training chain beside its allocations, and counts
of courses and training requests on item and organisation pages — each through ``for_user``."""

from __future__ import annotations

import re

import pytest

from aidbridge.training.tests import test_views_helpers as h


@pytest.fixture
def training(world, personas) -> h.Training:
    return h.build(world, personas)


def test_the_requirement_page_shows_its_training_chain(training, world, personas, login):
    response = login(personas.recipient).get(f"/requirements/{world.requirement.pk}/")
    page = h.text(response)
    assert "Training chain" in page and "Allocations" in page
    assert page.index("Allocations") < page.index("Training chain")  # beside (after) the custody of its goods
    assert re.search(rf"{training.request.reference} 3 × 2 \(6 trainees\) uk Validated 2 1 0", page)
    assert f"{training.course_de.reference} Generator crew course (DE)" in page
    assert "Capability readiness:" in page
    assert re.search(r'<span class="badge readiness r-[a-z-]+">(ready|at risk|equipment only|crews only|neither)'
                     r"</span>", response.content.decode())
    assert "Request training for this requirement" in page
    assert f'href="/training/requests/add/?requirement={world.requirement.pk}"' in response.content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "auditor", "donor_de", "hub_pl"])
def test_others_see_the_chain_but_may_not_ask_for_training(training, world, personas, login, persona):
    page = h.text(login(getattr(personas, persona)).get(f"/requirements/{world.requirement.pk}/"))
    assert "Training chain" in page and training.request.reference in page
    assert "Request training for this requirement" not in page


def test_no_panel_without_training_for_those_who_cannot_ask(world, personas, login):
    page = h.text(login(personas.coordinator).get(f"/requirements/{world.requirement.pk}/"))
    assert "Training chain" not in page
    own = h.text(login(personas.recipient).get(f"/requirements/{world.requirement.pk}/"))
    assert "Training chain" in own and "No training requested for this requirement." in own


def test_a_course_another_donor_keeps_to_coordinators_is_not_named_on_the_chain(training, world, personas, login):
    from aidbridge.training import services

    services.assign_seats(actor=personas.coordinator, request=training.request, course=training.course_de_private,
                          seats=2)
    url = f"/requirements/{world.requirement.pk}/"
    assert "Secret generator course" in h.text(login(personas.coordinator).get(url))
    assert "Secret generator course" not in h.text(login(personas.donor_us).get(
        f"/requirements/{world.requirement.pk}/"))


def test_item_and_organisation_pages_count_training(training, world, personas, login):
    client = login(personas.donor_us)
    item = client.get(f"/catalogue/{world.item.pk}/").content.decode()
    # GEN-100KW: the DE coalition course and the US public course, not the DE coordinators-only one
    assert re.search(r'href="/training/courses/\?item=GEN-100KW">Courses</a><span class="stat">2<', item)
    donor = client.get(f"/organisations/{personas.orgs['de'].pk}/").content.decode()
    assert re.search(rf'href="/training/courses/\?provider={personas.orgs["de"].pk}">Courses offered</a>'
                     r'<span class="stat">1<', donor)
    recipient = login(personas.recipient).get(f"/organisations/{personas.orgs['ua'].pk}/").content.decode()
    assert re.search(r'>Training requests</a><span class="stat">2<', recipient)
