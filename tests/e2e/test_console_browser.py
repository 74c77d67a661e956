"""The staff console in a real Chromium, against the real gateway application serving a seeded SQLite database.

The gateway runs in-process (``aiohttp.web.AppRunner``) on http://localhost:<free port>: Chromium accepts
the console's Secure cookies on localhost, so the console runs with its production cookie settings.
Rasa is not needed. Screenshots go to reports/screenshots/console-*.png.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from argon2 import PasswordHasher
from axe_playwright_python.async_playwright import Axe
from conftest import free_port
from playwright.async_api import Browser, Page, expect

from muni_core.console import accounts
from muni_core.console.common import COPENHAGEN
from muni_core.conversations.schema import create_schema, rasa_metadata, voice_turns
from muni_core.conversations.store import insert_conversation
from tests.support.browser import chromium, chromium_installed, screenshot, serious_violations  # noqa: F401 - chromium_installed: autouse fixture
from tests.support.chromium import serving
from tests.support.events import action, bot, slot, user
from voice_gateway.app import create_app
from voice_gateway.settings import GatewaySettings

PASSWORD = "korrekt-hest-batteri-staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch) -> None:
    """Argon2 with the smallest parameters (the real ones cost about half a second per login)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1), raising=False)
    monkeypatch.setattr(accounts, "_dummy_hash", None, raising=False)


def seed(engine: sa.engine.Engine) -> None:
    now = datetime.now(COPENHAGEN).replace(hour=10, minute=0, second=0, microsecond=0)
    day = [(now - timedelta(days=offset)).timestamp() for offset in range(12)]
    conversations = {
        "web-pas-1": [
            user("Hvad koster et nyt pas?", "faq", day[1], faq="pas", faq_confidence=0.9, confidence=0.93),
            action("utter_faq", day[1] + 1),
            bot("Et pas koster 673 kr. for voksne.", day[1] + 1),
            slot("citizen_rating", "yes", day[1] + 9),
        ],
        "phone-book-2": [
            user(
                "jeg vil gerne booke en tid på jobcentret",
                "book_appointment",
                day[2],
                channel="phone",
                entities={"service": "jobcenter"},
                voice={"turn_id": "turn-a", "confidence": 0.83, "stt_ms": 420.0},
            ),
            action("booking_form", day[2] + 1),
            bot("Hvilken dag passer dig?", day[2] + 1, [("Mandag", "/Mandag"), ("Tirsdag", "/Tirsdag")]),
            slot("cpr_number", "enc:v1:gAAAAAB", day[2] + 2),
            action("action_handoff", day[2] + 3),
        ],
        "kiosk-fallback-3": [
            user(
                "blablabla vejen er hullet",
                "nlu_fallback",
                day[3],
                channel="kiosk",
                municipality="aalborg",
                confidence=0.31,
            ),
            action("action_core_fallback", day[3] + 1),
            bot("Undskyld, det forstod jeg ikke.", day[3] + 1),
        ],
        "web-bolig-4": [
            user(
                "kan jeg få boligstøtte til huslejen <b>nu</b>",
                "faq",
                day[5],
                municipality="hjoerring",
                faq="boligstoette",
                faq_confidence=0.9,
            ),
            bot("Du kan søge boligstøtte på borger.dk.", day[5] + 1),
        ],
        "browser-flyt-5": [
            user(
                "hvordan melder jeg flytning til Ærø",
                "faq",
                day[10],
                channel="browser",
                municipality="aalborg",
                faq="flytning",
                faq_confidence=0.9,
                voice={"turn_id": "turn-b", "confidence": 0.77},
            ),
            bot("Du melder flytning på borger.dk.", day[10] + 1),
        ],
    }
    with engine.begin() as connection:
        for conversation_id, events in conversations.items():
            insert_conversation(connection, conversation_id, events)
        connection.execute(
            sa.insert(voice_turns),
            [
                {
                    "turn_id": "turn-a",
                    "conversation_id": "phone-book-2",
                    "created_at": day[2],
                    "outcome": "answered",
                    "stt_ms": 420.0,
                    "voice_to_voice_ms": 1234.0,
                },
                {
                    "turn_id": "turn-b",
                    "conversation_id": "browser-flyt-5",
                    "created_at": day[10],
                    "outcome": "answered",
                    "stt_ms": 600.0,
                    "voice_to_voice_ms": 2000.0,
                },
            ],
        )


def _has_console(app) -> bool:
    return any(resource.get_info().get("prefix") == "/console" for resource in app.router.resources())


@pytest.fixture
async def console(tmp_path) -> AsyncIterator[str]:
    """Base URL of a running gateway with the console over a seeded database."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(url)
    create_schema(engine)
    rasa_metadata.create_all(engine)
    seed(engine)
    accounts.add_staff(engine, "anna", PASSWORD, "reviewer")
    accounts.add_staff(engine, "boss", PASSWORD, "admin")
    engine.dispose()
    app = create_app(GatewaySettings(database_url=url))  # production cookie settings (Secure)
    assert _has_console(app)
    async with serving(app, free_port(), host="localhost") as base_url:  # Secure cookies count on localhost
        yield base_url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


class ConsolePage:
    """A page of the console, collecting JavaScript errors and CSP violations."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]


async def open_page(browser: Browser) -> ConsolePage:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK", accept_downloads=True)
    return ConsolePage(await context.new_page())


async def log_in(page: Page, base: str, username: str = "anna") -> None:
    await page.goto(base + "/console/")
    await expect(page).to_have_url(f"{base}/console/login?next=%2Fconsole%2F")
    await page.get_by_label("Brugernavn").fill(username)
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Samtaler", level=1)).to_be_visible()


async def test_review_workflow_in_the_browser(browser, console) -> None:
    view = await open_page(browser)
    page = view.page
    await log_in(page, console)
    rows = page.get_by_test_id("conversation-row")
    await expect(rows).to_have_count(5)
    await screenshot(page, "console", "list")

    # Filter: channel Telefon
    await page.get_by_label("Kanal").select_option(label="Telefon")
    await page.get_by_role("button", name="Vis samtaler").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-conversation", "phone-book-2")
    await expect(rows.first).to_contain_text("Overdraget")
    await expect(page.get_by_label("Kanal")).to_have_value("phone")
    await screenshot(page, "console", "filter-phone")

    # Search: a Danish prefix, then a word in a citizen message; HTML in a message shows as text
    await page.get_by_role("link", name="Nulstil filtre").click()
    await page.get_by_role("searchbox", name="Søg i samtaler").fill("boligstø")
    await page.get_by_role("searchbox", name="Søg i samtaler").press("Enter")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("kan jeg få boligstøtte til huslejen <b>nu</b>")
    await page.get_by_role("searchbox", name="Søg i samtaler").fill("vejen")
    await page.get_by_role("button", name="Vis samtaler").click()
    await expect(rows).to_have_count(1)

    # Open the conversation
    await rows.first.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("kiosk-fallback-3")
    await expect(page.get_by_test_id("intent").first).to_have_text("nlu_fallback")
    await expect(page.get_by_test_id("confidence").first).to_have_text("(31 % sikker)")
    await expect(page.get_by_test_id("actions").first).to_contain_text("action_core_fallback")
    await screenshot(page, "console", "conversation")

    # Mark a correction
    await page.get_by_text("Forkert forstået").first.click()
    await page.get_by_label("Den rigtige intent").first.select_option("out_of_scope")
    await page.get_by_role("button", name="Gem rettelse").first.click()
    await expect(page.get_by_test_id("saved")).to_have_text("Rettelsen er gemt.")
    await expect(page.get_by_test_id("correction")).to_contain_text("out_of_scope")

    # Export the corrections as Rasa NLU
    await page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Rettelser").click()
    await expect(page.get_by_test_id("correction-row")).to_have_count(1)
    await screenshot(page, "console", "review")
    async with page.expect_download() as waiting:
        await page.get_by_test_id("export-corrections").click()
    download = await waiting.value
    assert download.suggested_filename.startswith("rettelser-nlu-") and download.suggested_filename.endswith(".yml")
    data = yaml.safe_load(Path(await download.path()).read_text(encoding="utf-8"))
    assert data == {"version": "3.1", "nlu": [{"intent": "out_of_scope", "examples": "- blablabla vejen er hullet\n"}]}

    # Log out: the list is behind the login again
    await page.reload()
    await page.get_by_role("button", name="Log ud").click()
    await expect(page.get_by_test_id("login-info")).to_have_text("Du er logget ud.")
    await page.goto(console + "/console/conversations")
    await expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    assert page.url.startswith(console + "/console/login?next=")
    assert not view.errors, view.errors
    assert not view.csp_violations(), view.csp_violations()
    await page.context.close()


async def test_keyboard_only_login(browser, console) -> None:
    view = await open_page(browser)
    page = view.page
    await page.goto(console + "/console/login")
    await expect(page.get_by_label("Brugernavn")).to_be_focused()  # autofocus
    skip = page.get_by_role("link", name="Spring til indhold")
    for _ in range(4):  # backwards to the first element of the page: the skip link
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate("() => document.activeElement.classList.contains('skip-link')"):
            break
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()  # shown while focused
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Brugernavn")).to_be_focused()
    await page.keyboard.type("anna")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Adgangskode")).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Samtaler", level=1)).to_be_visible()
    await expect(page.get_by_role("link", name="Samtaler")).to_have_attribute("aria-current", "page")
    outline = await page.evaluate(
        """() => { const link = document.querySelector('nav a'); link.focus();
                   const style = getComputedStyle(link); return style.outlineStyle + ' ' + style.outlineWidth; }"""
    )
    assert outline.startswith("solid"), outline  # a visible focus indicator
    await screenshot(page, "console", "keyboard-login")
    assert not view.csp_violations(), view.csp_violations()
    await page.context.close()


async def test_wrong_password_is_announced(browser, console) -> None:
    view = await open_page(browser)
    page = view.page
    await page.goto(console + "/console/login")
    await page.get_by_label("Brugernavn").fill("anna")
    await page.get_by_label("Adgangskode").fill("forkert-kodeord")
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("alert")).to_have_text("Forkert brugernavn eller adgangskode.")
    await screenshot(page, "console", "login-error")
    await page.context.close()


async def test_axe_finds_no_serious_problems(browser, console) -> None:
    view = await open_page(browser)
    page = view.page
    axe = Axe()
    await page.goto(console + "/console/login")
    problems = {"login": serious_violations(await axe.run(page))}
    await screenshot(page, "console", "login")
    await page.get_by_label("Brugernavn").fill("boss")
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Samtaler", level=1)).to_be_visible()
    problems["list"] = serious_violations(await axe.run(page))
    await page.goto(console + "/console/conversations/phone-book-2")
    await expect(page.get_by_test_id("voice-latency")).to_contain_text("1.234 ms")
    problems["conversation"] = serious_violations(await axe.run(page))
    await screenshot(page, "console", "conversation-phone")
    await page.goto(console + "/console/dashboard?days=30")
    await expect(page.get_by_test_id("containment")).to_have_text("80 %")
    problems["dashboard"] = serious_violations(await axe.run(page))
    await screenshot(page, "console", "dashboard")
    await page.goto(console + "/console/audit")
    problems["audit"] = serious_violations(await axe.run(page))
    await page.goto(console + "/console/review")
    problems["review"] = serious_violations(await axe.run(page))
    found = {name: items for name, items in problems.items() if items}
    assert not found, "axe found serious problems:\n" + "\n".join(f"{name}: {items}" for name, items in found.items())
    await page.context.close()
