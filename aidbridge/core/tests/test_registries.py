"""The explicit registries through which an upper app adds to a lower one: hooks, panels, the viewer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from aidbridge.accounts.principal import principal
from aidbridge.allocation import services as allocation_services
from aidbridge.core import panels, viewer
from aidbridge.core.hooks import Hook
from aidbridge.pledges.services import pledge_withdrawing, pledge_withdrawn
from aidbridge.requirements.services import requirement_cancelled


def test_a_hook_calls_what_is_attached_in_order_once_each():
    calls = []
    hook = Hook("h", "a test hook")

    def first(**kwargs):
        calls.append(("first", kwargs))

    def second(**kwargs):
        calls.append(("second", kwargs))

    hook.register(first)
    hook.register(second)
    hook.register(first)  # a second registration changes nothing
    hook(pledge=7)
    assert calls == [("first", {"pledge": 7}), ("second", {"pledge": 7})]
    assert hook.registered == (first, second)


def test_the_allocation_app_owns_the_release_on_withdrawal_and_cancellation():
    assert pledge_withdrawing.registered == (allocation_services.lock_pledge_lines,)
    assert pledge_withdrawn.registered == (allocation_services.release_withdrawn_pledge,)
    assert requirement_cancelled.registered == (allocation_services.release_cancelled_requirement,)


def test_each_upper_app_adds_its_own_panels_to_lower_pages():
    assert [f.__module__ for _, f in panels._stats["catalogue.item"]] == [
        "aidbridge.requirements.panels", "aidbridge.pledges.panels", "aidbridge.training.panels"]
    assert [f.__module__ for _, f in panels._stats["accounts.organisation"]] == [
        "aidbridge.pledges.panels", "aidbridge.requirements.panels", "aidbridge.locations.panels",
        "aidbridge.training.panels"]
    assert [t for _, t, _f in panels._panels["requirements.requirement"]] == [
        "allocation/_requirement_allocations.html", "training/_requirement_training.html"]
    assert [t for _, t, _f in panels._panels["locations.hub"]] == ["logistics/_hub_logistics.html"]


def test_a_panel_returning_none_is_not_shown(db, personas, world):
    panels.add_panel("catalogue.item", "nothing.html", lambda user, obj: None)
    try:
        assert panels.panels_for(personas.coordinator, world.item) == []
        labels = [s.label for s in panels.stats_for(personas.coordinator, world.item)]
        assert labels == ["Requirements", "Pledges", "Courses"]
    finally:
        panels._panels["catalogue.item"] = [e for e in panels._panels["catalogue.item"] if e[1] != "nothing.html"]


def test_the_viewer_is_the_accounts_principal(db, personas):
    assert viewer.viewer(personas.auditor) == principal(personas.auditor)
    assert viewer.viewer(personas.auditor).sees_everything


def test_without_a_resolver_the_viewer_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(viewer, "_resolver", [])
    with pytest.raises(ImproperlyConfigured, match="aidbridge.accounts"):
        viewer.viewer(None)
