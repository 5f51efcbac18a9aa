"""Keyboard only: the skip link, a form filled and sent without a mouse, a list's filters and pagination
reached by Tab, and a visible focus ring on everything the focus lands on."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from aidbridge.core import clock
from aidbridge.requirements import services as requirements
from aidbridge.requirements.models import Requirement

pytestmark = pytest.mark.slow

MAX_TABS = 80

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), type: el.getAttribute("type") || "", name: el.getAttribute("name") || "",
    text: (el.innerText || el.value || "").trim().slice(0, 60), id: el.id, rel: el.getAttribute("rel") || "",
    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth), outlineColor: style.outlineColor,
    inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def tab_until(page, found, what: str, most: int = MAX_TABS) -> list[dict]:
    """Press Tab until ``found(focused)``; every element on the way must show a focus ring and be on screen."""
    seen = []
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused is not None, f"the focus fell back to the page while tabbing to {what}: {seen[-3:]}"
        assert focused["outline"] != "none" and focused["outlineWidth"] >= 2, f"no visible focus ring on {focused}"
        assert focused["inView"], f"focused but off screen: {focused}"
        seen.append(focused)
        if found(focused):
            return seen
    raise AssertionError(f"{what} not reached in {most} presses of Tab; the focus went last through {seen[-5:]}")


def test_skip_link_and_a_form_sent_from_the_keyboard(journey, world, personas):
    j = journey("keyboard-form")
    page = j.page
    j.login(personas.recipient)
    j.goto("/requirements/add/")
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUSED)
    assert skip["text"] == "Skip to content" and skip["inView"] and skip["outline"] != "none"
    j.see("skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the main landmark, the first Tab goes into the form, not back through the navigation.
    first = tab_until(page, lambda f: True, "the first field")[0]
    assert first["name"] == "item", first
    page.keyboard.press("ArrowDown")  # the first item in the list
    tab_until(page, lambda f: f["name"] == "quantity", "Quantity")
    page.keyboard.type("7")
    tab_until(page, lambda f: f["name"] == "priority", "Priority")
    page.keyboard.press("ArrowDown")
    tab_until(page, lambda f: f["name"] == "due_date", "Due date")
    due = clock.today() + dt.timedelta(days=40)
    # Headless chromium lays a date field out as month, day, year whatever the page's language.
    page.keyboard.type(due.strftime("%m%d%Y"))
    assert page.eval_on_selector("#id_due_date", "e => e.value") == due.isoformat()
    tab_until(page, lambda f: f["name"] == "destination", "Destination")
    page.keyboard.press("ArrowDown")
    j.see("filled")
    path = tab_until(page, lambda f: f["tag"] == "button" and f["type"] == "submit" and f["text"] != "Log out",
                     "the submit button")
    assert "notes" in {f["name"] for f in path}  # every field on the way, in order, then the button
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/requirements/\d+/(#main)?$"))  # the redirect keeps the skip link's #main
    j.see("saved")
    filed = Requirement.objects.exclude(pk__in=[world.draft_requirement.pk, world.requirement.pk]).get()
    assert (filed.quantity, filed.due_date, filed.recipient) == (7, due, personas.orgs["ua"])


def test_a_list_s_filters_and_pagination_from_the_keyboard(journey, world, personas):
    for n in range(55):  # more than one page of 50
        requirements.create_requirement(actor=personas.recipient, item=world.other_item, quantity=n + 1,
                                        priority=2, due_date=clock.today() + dt.timedelta(days=60),
                                        destination=world.kyiv)
    j = journey("keyboard-list")
    page = j.page
    j.login(personas.recipient)
    j.goto("/requirements/")
    j.see("list")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip to the content
    tab_until(page, lambda f: f["tag"] in ("input", "select") and f["id"].startswith("id_"), "the first filter")
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Filter", "the Filter button")
    tab_until(page, lambda f: f["tag"] == "div" and "table-wrap" in page.evaluate(
        "document.activeElement.className"), "the results table (a scrollable region)")
    tab_until(page, lambda f: f["rel"] == "next", "the Next page link", most=4 * 50)  # three links a row
    j.see("next-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]page=2"))
    page.get_by_text("Page 2 of 2", exact=True).wait_for()
    j.see("page-2")
    # The page of results was swapped in by htmx: the focus is on the new results, not lost to the page.
    assert page.evaluate("document.activeElement.classList.contains('table-wrap')")
    tab_until(page, lambda f: f["rel"] == "prev", "the Previous page link", most=4 * 50)
