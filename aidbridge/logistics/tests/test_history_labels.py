"""A shipment's history names the allocations on board (pledge → requirement), never raw allocation-line ids."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from aidbridge.allocation import services as allocation
from aidbridge.audit.labels import readable_changes
from aidbridge.core.clock import monday
from aidbridge.pledges import services as pledges


def test_a_shipment_history_names_its_lines_by_pledge_and_requirement(legs, world, personas, login):
    page = login(personas.coordinator).get(f"/shipments/{legs.inbound.pk}/").content.decode()
    history = page[page.index('id="history-heading"'):]
    assert f"{world.pledge_coalition.reference} → {world.requirement.reference}: 10" in history
    assert not re.search(r"\[\[\d+, \d+\]\]", history)


def _changes(user, before, after):
    event = SimpleNamespace(object_type="logistics.shipment", object_id="1", before=before, after=after)
    (changes,) = readable_changes(user, [event])
    return {change.name: change for change in changes}


def test_a_long_list_of_lines_shows_twenty_and_counts_only_the_visible_rest(world, personas):
    """A lorry's lines in a history cell: the first twenty the viewer may see, then how many more of those; a
    change past the twentieth still counts as a change, and one among hidden lines does not."""
    week = monday(world.pledge_public.available_from) + dt.timedelta(weeks=4)
    c = personas.coordinator
    us = allocation.allocate(actor=c, pledge=world.pledge_public, requirement=world.requirement, hub=world.hub,
                             quantity=5, dispatch_week=week)
    hidden = pledges.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)  # not for donor-us
    de = allocation.allocate(actor=c, pledge=hidden, requirement=world.requirement, hub=world.hub, quantity=5,
                             dispatch_week=week)
    label = f"{world.pledge_public.reference} → {world.requirement.reference}"
    lines = [[us.pk, units] for units in range(1, 26)] + [[de.pk, 7]] * 30

    created = _changes(personas.donor_us, None, {"lines": lines})["lines"].after.text
    assert created.startswith(f"{label}: 1; {label}: 2; ")
    assert created.endswith(f"{label}: 20 … and 5 more")  # not the 30 lines of the other donor
    assert hidden.reference not in created
    assert _changes(personas.coordinator, None, {"lines": lines})["lines"].after.text.endswith("… and 35 more")

    past_twenty = [*lines[:24], [us.pk, 99], *lines[25:]]
    changed = _changes(personas.donor_us, {"lines": lines}, {"lines": past_twenty})["lines"]
    assert changed.before.text == changed.after.text  # the difference lies past what is shown
    hidden_only = [*lines[:25], [de.pk, 8], *lines[26:]]
    assert "lines" not in _changes(personas.donor_us, {"lines": lines}, {"lines": hidden_only})
    assert "lines" in _changes(personas.donor_de, {"lines": lines}, {"lines": hidden_only})
