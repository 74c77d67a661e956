"""Browser helpers for the widget's end-to-end tests: Debian's Chromium through Playwright's async API.

Chromium is /usr/bin/chromium (``playwright install`` is never run: nothing can be downloaded here).
The gateway and the sample municipality page run as aiohttp test servers on two different ports, so
the widget is loaded cross-origin, as on a real municipality web site.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from muni_core.paths import REPO_ROOT
from tests.support.chromium import CHROMIUM, launch_chromium
from tests.support.host_page import host_app

__all__ = [
    "CHROMIUM",
    "Widget",
    "chromium",
    "chromium_installed",
    "host_app",
    "screenshot",
    "serious_violations",
    "speech_wav",
]

REPO = REPO_ROOT
SCREENSHOTS = REPO / "reports" / "screenshots"
ANSWER_TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def chromium_installed() -> None:
    """Fail (not skip) with what to install when Debian's Chromium is missing; autouse where imported."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium mangler i {CHROMIUM}: installér Debians chromium-pakke (apt-get install chromium).")


def speech_wav(folder: Path, text: str) -> Path:
    """``text`` spoken by espeak-ng Danish with 1 s of silence before and 3 s after, 48 kHz mono, as a microphone."""
    spoken, speech = folder / "spoken.wav", folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "da", "-w", str(spoken), text], check=True)
    subprocess.run(
        ["sox", "-D", str(spoken), "-r", "48000", "-c", "1", "-b", "16", str(speech), "pad", "1", "3"], check=True
    )
    return speech


@asynccontextmanager
async def chromium(microphone: Path | None = None) -> AsyncIterator[Browser]:
    """A headless Chromium for one test (launching takes about half a second).

    With ``microphone``, the page's microphone is Chromium's fake device playing that WAV file once,
    allowed without asking.
    """
    extra: tuple[str, ...] = ()
    if microphone is not None:
        extra = (
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}%noloop",
        )
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, extra)
        try:
            yield browser
        finally:
            await browser.close()


def serious_violations(results) -> list[str]:
    """axe-core's serious and critical findings of one run, one readable line each (empty: none)."""
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") in ("serious", "critical"):
            targets = [node.get("target") for node in violation.get("nodes", [])][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation.get('help')} at {targets}")
    return found


async def screenshot(page: Page, test_name: str, state: str = "") -> Path:
    """Save reports/screenshots/<test-name>[-<state>].png (the folder is created; reports/ is git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name + (f"-{state}" if state else "")).strip("-")
    path = SCREENSHOTS / f"{safe}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path


class Widget:
    """The chat widget (or kiosk) on one page, through its data-testid hooks (they pierce the open shadow root)."""

    def __init__(self, page: Page, kiosk: bool = False) -> None:
        self.page = page
        self.kiosk = kiosk
        self.storage_key = "muni-kiosk" if kiosk else "muni-widget"
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.chat_bodies: list[dict[str, Any]] = []
        self.console_errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("request", self._request)

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    def _request(self, request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/api/chat"):
            try:
                self.chat_bodies.append(json.loads(request.post_data or "{}"))
            except ValueError:
                self.chat_bodies.append({})

    def csp_violations(self) -> list[str]:
        """Content-Security-Policy violations reported in the console."""
        return [text for text in self.console_errors if "Content Security Policy" in text]

    def by(self, testid: str) -> Locator:
        """Elements with this data-testid."""
        return self.page.get_by_test_id(testid)

    @property
    def messages(self) -> Locator:
        """All messages in the log."""
        return self.by("muni-message")

    @property
    def bot(self) -> Locator:
        """The assistant's messages."""
        return self.page.locator('[data-testid="muni-message"][data-role="bot"]')

    @property
    def user(self) -> Locator:
        """The citizen's messages."""
        return self.page.locator('[data-testid="muni-message"][data-role="user"]')

    async def ready(self) -> None:
        """Wait until the script has run (MuniWidget defined) and its stylesheet has loaded."""
        await self.page.wait_for_function("() => !!window.MuniWidget")
        target = self.by("muni-window") if self.kiosk else self.by("muni-open")
        await expect(target).to_be_visible()

    async def open(self) -> None:
        """Click the round chat button."""
        await self.by("muni-open").click()
        await expect(self.by("muni-window")).to_be_visible()

    async def say(self, text: str) -> str:
        """Type a message, send it, and return the text of the assistant's first new answer."""
        bots = await self.bot.count()
        await self.by("muni-input").fill(text)
        await self.by("muni-send").click()
        return await self.answer_after(bots)

    async def answer_after(self, bots_before: int) -> str:
        """Wait for a bot message beyond the first ``bots_before`` and for the typing indicator to go."""
        await expect(self.bot).not_to_have_count(bots_before, timeout=ANSWER_TIMEOUT_MS)
        await expect(self.by("muni-typing")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
        texts = await self.bot.locator(".muni-text").all_inner_texts()
        return " ".join(texts[bots_before:])

    async def stored(self) -> dict[str, Any] | None:
        """The conversation the widget keeps in sessionStorage (None if there is none)."""
        raw = await self.page.evaluate(f"() => sessionStorage.getItem({json.dumps(self.storage_key)})")
        return json.loads(raw) if raw else None

    async def sender(self) -> str:
        """The conversation's sender id (from sessionStorage)."""
        stored = await self.stored()
        assert stored and stored.get("sender"), f"no conversation in sessionStorage: {stored!r}"
        return stored["sender"]

    async def focused_testid(self) -> str | None:
        """data-testid of the focused element inside the widget (None if the focus is elsewhere)."""
        return await self.page.evaluate(
            """() => {
              const root = document.getElementById("muni-widget-root");
              if (document.activeElement !== root) return null;
              const active = root.shadowRoot.activeElement;
              return active ? active.getAttribute("data-testid") : null;
            }"""
        )
