"""Browser tests: Playwright drives Debian's chromium against pytest-django's ``live_server``.

No browser is ever downloaded: the tests use ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run``
installs it where it can) and skip, saying why, where it is missing. Every page a journey visits is checked
with axe-core (shipped by the ``axe-playwright-python`` package) against WCAG 2.1 A and AA, and saved as a
full-page screenshot under ``$AIDBRIDGE_VAR_DIR/screenshots/<journey>/NN-<step>.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from aidbridge.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
REVIEW_IS_FAILURE = {"aria-valid-attr-value"}
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser(django_db_setup) -> Iterator[Any]:
    """One chromium per test module (after the test database exists).

    Playwright's sync API keeps an asyncio event loop in this thread, so Django would refuse ORM calls here
    (SynchronousOnlyOperation) although nothing runs concurrently with them: each Playwright call returns before
    the test reads or writes the database. That check is lifted while the browser is open, for these modules
    only (the module scope closes it before any other test runs), never for the application.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) "
                    "to run the browser tests; no browser is downloaded")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp, sync_playwright() as p:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Journey:
    """One browser tab as one persona: logs in through the real login page, checks each page with axe and
    saves a numbered full-page screenshot of it."""

    def __init__(self, browser: Any, base_url: str, name: str) -> None:
        self.context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="en-GB")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.name = name
        self.shots = Path(settings.VAR_DIR) / "screenshots" / name
        shutil.rmtree(self.shots, ignore_errors=True)
        self.shots.mkdir(parents=True)
        self.step = 0
        self.checked: list[str] = []

    def goto(self, path: str) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        return response

    def login(self, user: Any, *, device: TOTPDevice | None = None) -> None:
        page = self.page
        self.goto("/accounts/login/")
        self.see("login")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        if device is not None:
            page.wait_for_url("**/accounts/login/code/**")
            self.see("two-factor-code")
            code = totp(device.bin_key, step=device.step, digits=device.digits)
            page.get_by_label("Six-digit code").fill(f"{code:0{device.digits}d}")
            page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert page.locator("header .user").inner_text() == user.get_username()

    def see(self, step: str) -> None:
        """Check the page with axe-core (WCAG 2.1 A and AA) and save its screenshot as the next step."""
        self.page.wait_for_load_state()
        self.step += 1
        self.page.screenshot(path=str(self.shots / f"{self.step:02d}-{step}.png"), full_page=True)
        assert_accessible(self.page)
        self.checked.append(self.page.url)

    def close(self) -> None:
        self.context.close()


# axe leaves the contrast of SVG text undecided ("incomplete"): it cannot tell what lies behind it. Chart text sits
# on the card, so this measures it against the first opaque background of an ancestor (WCAG 2.x formula).
SVG_TEXT_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
    : Math.pow((v + 0.055) / 1.055, 2.4); }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll("figure svg text")].map((t) => {
    const a = lum(rgb(getComputedStyle(t).fill)), b = lum(background(t.closest("figure")));
    return {text: t.textContent.trim(), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  }).filter((t) => t.text && t.ratio < 4.5);
}"""


def assert_accessible(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    # axe only "needs review" an ARIA reference to an id missing from the page; here that is a failure too.
    violations = results.response["violations"] + [
        v for v in results.response["incomplete"] if v["id"] in REVIEW_IS_FAILURE]
    lines = [f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:5])}"
             for v in violations]
    assert not violations, f"axe found {len(violations)} violation(s) on {page.url}:\n" + "\n".join(lines)
    faint = page.evaluate(SVG_TEXT_CONTRAST)
    assert not faint, f"chart text below 4.5:1 on {page.url}: {faint[:5]}"


@pytest.fixture
def journey(browser, live_server) -> Iterator[Any]:
    """``journey(name)`` opens a fresh browser context (its own cookies) for one persona."""
    opened: list[Journey] = []

    def _open(name: str) -> Journey:
        j = Journey(browser, live_server.url, name)
        opened.append(j)
        return j

    yield _open
    for j in opened:
        j.close()


@pytest.fixture
def two_factor_device():
    """``two_factor_device(user)``: a confirmed TOTP device, so that user logs in with a code (as coordinators
    are encouraged to)."""

    def _device(user: Any) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return _device
