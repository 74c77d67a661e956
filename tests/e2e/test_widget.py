"""The chat widget and the town-hall kiosk in a real Chromium, against the real gateway, Rasa and action server.

The sample municipality page (example-host.html) is served on another port than the gateway, so the widget
runs cross-origin as on a municipality's web site. Screenshots of the key states go to reports/screenshots/.
The stack's clock is fixed at Tuesday 1 December 2026, 09:00 (see conftest.FIXED_NOW).
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import AsyncIterator

import pytest
from axe_playwright_python.async_playwright import Axe
from conftest import TOKEN, get_json
from playwright.async_api import Browser, Page, expect

from tests.support.browser import (  # chromium_installed: autouse fixture
    Widget,
    chromium,
    chromium_installed,  # noqa: F401
    host_app,
    screenshot,
    serious_violations,
    speech_wav,
)
from voice_gateway.app import create_app
from voice_gateway.paths import DEFAULT_STT_MODEL_DIR
from voice_gateway.settings import GatewaySettings
from voice_gateway.voice_settings import VoiceSettings

pytestmark = pytest.mark.stack

XSS = "<img src=x onerror=alert(1)>"


def settings(config) -> GatewaySettings:
    return GatewaySettings(rasa_url=config.rasa_url, default_municipality="frederikshavn", rasa_token=TOKEN)


def base_url(server) -> str:
    return str(server.make_url("/")).rstrip("/")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def gateway(aiohttp_server, stack):
    return await aiohttp_server(create_app(settings(stack[0])))


@pytest.fixture
async def host(aiohttp_server, gateway) -> str:
    """Base URL of the municipality's web site (another origin than the gateway)."""
    return base_url(await aiohttp_server(host_app(base_url(gateway))))


async def new_page(browser: Browser, width: int = 1280, height: int = 800) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="da-DK")
    return await context.new_page()


@pytest.fixture
async def widget(browser, host) -> AsyncIterator[Widget]:
    """The widget on the sample host page, loaded and ready (closed)."""
    page = await new_page(browser)
    chat = Widget(page)
    await page.goto(host + "/")
    await chat.ready()
    yield chat
    assert not chat.errors, f"JavaScript errors on the page: {chat.errors}"
    assert not chat.csp_violations(), f"Content-Security-Policy violations: {chat.csp_violations()}"
    await page.context.close()


def tracker_events(config, sender: str) -> list[dict]:
    url = f"{config.rasa_url}/conversations/{urllib.parse.quote(sender)}/tracker?token={TOKEN}"
    return get_json(url)["events"] or []


async def no_horizontal_scroll(page: Page) -> None:
    sizes = await page.evaluate("() => { const s = document.scrollingElement; return [s.scrollWidth, s.clientWidth]; }")
    assert sizes[0] <= sizes[1], f"horizontal scrolling: scrollWidth {sizes[0]} > clientWidth {sizes[1]}"


async def test_rules_question_is_answered_with_real_links(widget: Widget, request) -> None:
    await widget.open()
    await expect(widget.by("muni-welcome")).to_be_visible()
    answer = await widget.say("hvad koster et nyt pas")
    assert "pas" in answer.lower()
    await expect(widget.user.first).to_have_attribute("data-state", "sent")
    await expect(widget.by("muni-welcome")).to_be_hidden()
    links = widget.bot.last.locator("a")
    assert await links.count() >= 1
    for href in await links.evaluate_all("links => links.map((a) => a.href)"):
        assert href.startswith("https://"), href
    assert "https://borger.dk/" in await links.evaluate_all("links => links.map((a) => a.href)")
    await expect(links.first).to_have_attribute("target", "_blank")
    await expect(links.first).to_have_attribute("rel", "noopener noreferrer")
    assert re.fullmatch(r"\d\d:\d\d", await widget.bot.last.locator("time").inner_text())
    await screenshot(widget.page, request.node.name, "answer")


async def test_quick_reply_button_is_followed(widget: Widget, request) -> None:
    await widget.open()
    question = await widget.say("jeg vil gerne booke en tid")
    assert "jobcentret eller hos lægen" in question
    buttons = widget.by("muni-quick-reply")
    await expect(buttons).to_have_text(["Jobcentret", "Lægen"])
    await screenshot(widget.page, request.node.name, "buttons")
    bots = await widget.bot.count()
    await buttons.filter(has_text="Lægen").click()
    await expect(widget.user.last.locator(".muni-text")).to_have_text("Lægen")  # the title, not the payload
    follow_up = await widget.answer_after(bots)
    assert follow_up.startswith("Hvilken dag passer dig?")
    await expect(buttons.first).to_contain_text("kl.")  # the old buttons are gone, the new ones are times
    bots = await widget.bot.count()
    await buttons.first.click()
    assert "fulde navn" in await widget.answer_after(bots)


async def test_booking_end_to_end_in_the_widget(widget: Widget, request) -> None:
    await widget.open()
    assert "fulde navn" in await widget.say("jeg vil gerne have en tid hos lægen på torsdag klokken 13")
    assert "telefonnummer" in await widget.say("Kirsten Vang")
    read_back = await widget.say("20 30 40 50")
    assert "torsdag kl. 13" in read_back and "Er det korrekt?" in read_back
    booked = await widget.say("ja")
    assert "Din tid er booket" in booked
    assert re.search(r"\d\d \d\d \d\d", booked), booked
    await screenshot(widget.page, request.node.name, "booked")


async def test_human_handoff_shows_the_answer_and_a_notice(widget: Widget, request) -> None:
    await widget.open()
    await widget.say("hvad koster et nyt pas")
    bots = await widget.bot.count()
    await widget.by("muni-handoff").click()
    await expect(widget.user.last.locator(".muni-text")).to_have_text("Tal med en medarbejder")
    assert "medarbejder" in await widget.answer_after(bots)
    assert widget.chat_bodies[-1]["message"] == "/human_handoff"
    notice = widget.by("muni-handoff-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("98 45 50 00")
    await expect(widget.by("muni-rating")).to_be_visible()  # asked after a handoff
    await screenshot(widget.page, request.node.name, "handoff")


async def test_reconnect_after_gateway_restart_and_navigation(
    widget: Widget, gateway, aiohttp_server, stack, host, request
) -> None:
    await widget.open()
    await widget.say("hvad koster et nyt pas")
    sender = await widget.sender()
    port = gateway.port
    await gateway.close()

    # Sent while the gateway is down: shown, queued, retried; nothing lost.
    await widget.by("muni-input").fill("hvad koster et nyt kørekort")
    await widget.by("muni-send").click()
    queued = widget.user.last
    await expect(queued).to_have_attribute("data-state", "retry")
    await expect(widget.by("muni-status")).to_have_text("Forbindelsen er afbrudt. Jeg prøver igen …")
    await expect(queued.locator(".muni-state")).to_have_text("Venter på forbindelsen …")
    stored = await widget.stored()
    assert [item["m"] for item in stored["queue"]] == ["hvad koster et nyt kørekort"]
    await screenshot(widget.page, request.node.name, "offline")

    await aiohttp_server(create_app(settings(stack[0])), port=port)
    await expect(queued).to_have_attribute("data-state", "sent", timeout=20_000)
    await expect(widget.by("muni-status")).to_have_text("")
    await expect(widget.bot).to_have_count(2, timeout=30_000)
    assert "kørekort" in (await widget.bot.last.inner_text()).lower()
    await expect(widget.user).to_have_text(
        [re.compile("hvad koster et nyt pas"), re.compile("hvad koster et nyt kørekort")]
    )
    assert (await widget.stored())["queue"] == []
    assert "sender" not in widget.chat_bodies[0]  # the gateway issues the id with the first answer
    assert {body["sender"] for body in widget.chat_bodies[1:]} == {sender}
    assert {body["token"] for body in widget.chat_bodies[1:]} == {(await widget.stored())["token"]}

    # A reload and another page of the municipality's site keep the conversation (sessionStorage).
    await widget.page.reload()
    await widget.ready()
    await expect(widget.by("muni-window")).to_be_visible()  # it was open
    await expect(widget.messages).to_have_count(4)
    await widget.page.goto(host + "/kontakt.html")
    await widget.ready()
    await expect(widget.messages).to_have_count(4)
    assert await widget.sender() == sender
    assert "flytning" in (await widget.say("hvordan melder jeg flytning")).lower()
    assert widget.chat_bodies[-1]["sender"] == sender
    await screenshot(widget.page, request.node.name, "after-navigation")


async def test_message_queued_on_one_page_is_sent_from_the_next(
    widget: Widget, gateway, aiohttp_server, stack, host
) -> None:
    await widget.open()
    await widget.say("hej")
    port = gateway.port
    await gateway.close()
    await widget.by("muni-input").fill("hvordan melder jeg flytning")
    await widget.by("muni-send").click()
    await expect(widget.user.last).to_have_attribute("data-state", "retry")
    await widget.page.goto(host + "/borgerservice.html")
    await widget.ready()
    await expect(widget.user.last.locator(".muni-text")).to_have_text("hvordan melder jeg flytning")
    await aiohttp_server(create_app(settings(stack[0])), port=port)
    await expect(widget.user.last).to_have_attribute("data-state", "sent", timeout=20_000)
    await expect(widget.bot).to_have_count(2, timeout=30_000)
    assert "flytning" in (await widget.bot.last.inner_text()).lower()


async def test_rating_after_goodbye_is_stored_in_the_conversation(widget: Widget, stack, request) -> None:
    await widget.open()
    await widget.say("hvad koster et nyt pas")
    goodbye = await widget.say("farvel")
    assert "Tak for snakken" in goodbye
    rating = widget.by("muni-rating")
    await expect(rating).to_be_visible()
    await expect(rating).to_contain_text("Fik du svar på dit spørgsmål?")
    await screenshot(widget.page, request.node.name, "question")
    async with widget.page.expect_response(lambda r: r.url.endswith("/api/rating")) as stored:
        await widget.by("muni-rating-yes").click()
    assert (await stored.value).status == 204
    await expect(widget.by("muni-rating-thanks")).to_be_visible()
    sender = await widget.sender()
    assert (await widget.stored())["rating"] == "done"
    events = await asyncio.to_thread(tracker_events, stack[0], sender)
    ratings = [e for e in events if e.get("event") == "slot" and e.get("name") == "citizen_rating"]
    assert [e["value"] for e in ratings] == ["yes"], ratings


async def test_start_over_gives_a_new_conversation(widget: Widget, request) -> None:
    await widget.open()
    await widget.say("hvad koster et nyt pas")
    first = await widget.sender()
    await widget.by("muni-restart").click()
    await expect(widget.messages).to_have_count(0)
    await expect(widget.by("muni-welcome")).to_be_visible()
    stored = await widget.stored()
    assert stored["sender"] is None and stored["token"] is None  # the next answer brings a new id
    assert stored["history"] == [] and stored["queue"] == []
    await widget.say("hej")
    assert "sender" not in widget.chat_bodies[-1] and "token" not in widget.chat_bodies[-1]
    renewed = await widget.sender()
    assert renewed != first and re.fullmatch(r"web-[A-Za-z0-9_-]{22}", renewed)
    await widget.say("hvad koster et nyt pas")
    assert widget.chat_bodies[-1]["sender"] == renewed
    await screenshot(widget.page, request.node.name, "new-conversation")


async def test_an_unrecognised_conversation_starts_anew_without_losing_the_message(widget: Widget, request) -> None:
    await widget.open()
    await widget.say("hej")
    old = await widget.stored()
    forged = json.dumps({**old, "token": "A" * 43})  # e.g. the gateway's secret was changed meanwhile
    await widget.page.evaluate("(value) => sessionStorage.setItem('muni-widget', value)", forged)
    await widget.page.reload()
    await widget.ready()
    answer = await widget.say("hvad koster et nyt pas")
    assert "pas" in answer.lower()
    await expect(widget.user.last).to_have_attribute("data-state", "sent")
    assert widget.chat_bodies[-2]["sender"] == old["sender"]  # refused (403) ...
    assert "sender" not in widget.chat_bodies[-1]  # ... and sent again in a new conversation
    assert await widget.sender() != old["sender"]


async def test_chat_page_keeps_its_issued_conversation_under_a_strict_csp(browser, gateway) -> None:
    page = await new_page(browser)
    chat = Widget(page)
    response = await page.goto(base_url(gateway) + "/")
    assert response and "script-src 'self'" in response.headers["content-security-policy"]
    await page.locator("#text").fill("hvad koster et nyt pas")
    await page.locator("#text").press("Enter")
    await expect(page.locator("#log .bot")).to_have_count(1, timeout=30_000)
    stored = json.loads(await page.evaluate("() => sessionStorage.getItem('muni-chat')"))
    assert re.fullmatch(r"web-[A-Za-z0-9_-]{22}", stored["sender"]) and stored["token"]
    await page.locator("#text").fill("hvad sagde du")
    await page.locator("#text").press("Enter")
    await expect(page.locator("#log .bot")).to_have_count(2, timeout=30_000)
    assert chat.chat_bodies[-1]["sender"] == stored["sender"] and chat.chat_bodies[-1]["token"] == stored["token"]
    assert "pas" in (await page.locator("#log .bot").last.inner_text()).lower()
    assert not chat.errors and not chat.csp_violations(), (chat.errors, chat.csp_violations())
    await page.context.close()


async def test_markup_in_messages_is_shown_as_text(widget: Widget, request) -> None:
    await widget.open()
    await widget.say(XSS)  # the citizen's message goes to the real assistant
    await expect(widget.user.last.locator(".muni-text")).to_have_text(XSS)

    async def poisoned(route) -> None:  # a bot answer with markup, a link with markup and a markup button
        body = json.loads(route.request.post_data or "{}")
        reply = {
            "sender": body.get("sender"),
            "handoff": None,
            "messages": [
                {
                    "text": f'Se {XSS} og https://borger.dk/"><img src=x onerror=alert(2)> <script>alert(3)</script>',
                    "buttons": [{"title": "<img src=x onerror=alert(4)>", "payload": "/greet"}],
                }
            ],
        }
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(reply))

    await widget.page.route("**/api/chat", poisoned)
    bots = await widget.bot.count()
    await widget.by("muni-input").fill("vis mig noget")
    await widget.by("muni-send").click()
    await widget.answer_after(bots)
    await widget.page.unroute("**/api/chat")
    await expect(widget.bot.last.locator(".muni-text")).to_contain_text(XSS)
    await expect(widget.by("muni-quick-reply")).to_have_text(["<img src=x onerror=alert(4)>"])
    for href in await widget.bot.last.locator("a").evaluate_all("links => links.map((a) => a.href)"):
        assert href.startswith("https://borger.dk/"), href
    await widget.page.wait_for_timeout(300)  # time for an onerror to fire, if an <img> had been made
    await screenshot(widget.page, request.node.name, "as-text")

    await widget.page.reload()  # stored history is rendered again from sessionStorage
    await widget.ready()
    await expect(widget.user.first.locator(".muni-text")).to_have_text(XSS)
    await widget.page.wait_for_timeout(300)
    assert await widget.page.locator("img").count() == 0  # CSS locators pierce the shadow root
    assert await widget.page.locator("script:not([src])").count() == 0
    assert widget.dialogs == []


async def test_kiosk_large_text_plain_links_and_inactivity_reset(browser, gateway, request) -> None:
    page = await new_page(browser, 1080, 1920)
    kiosk = Widget(page, kiosk=True)
    await page.goto(base_url(gateway) + "/kiosk?municipality=frederikshavn&inactivity=4")
    await kiosk.ready()
    await expect(kiosk.by("muni-close")).to_have_count(0)
    await expect(kiosk.by("muni-open")).to_have_count(0)
    answer = await kiosk.say("hvad koster et nyt pas")
    assert "pas" in answer.lower()
    first_sender = (await kiosk.stored())["sender"]
    assert re.fullmatch(r"web-[A-Za-z0-9_-]{22}", first_sender)
    assert kiosk.chat_bodies[-1]["channel"] == "kiosk"
    assert kiosk.chat_bodies[-1]["municipality"] == "frederikshavn"
    size = await kiosk.bot.last.locator(".muni-text").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 24, f"kiosk text is {size}px"
    await expect(kiosk.bot.last.locator("a")).to_have_count(0)
    assert {"frederikshavn.dk", "borger.dk"} <= set(await kiosk.bot.last.locator(".muni-link").all_inner_texts())
    assert (await kiosk.stored())["history"]
    await screenshot(page, request.node.name, "answer")

    await expect(kiosk.by("muni-countdown")).to_be_visible(timeout=10_000)
    await expect(kiosk.messages).to_have_count(0, timeout=10_000)
    await expect(kiosk.by("muni-welcome")).to_contain_text("Ny samtale")
    await expect(kiosk.by("muni-countdown")).to_be_hidden()
    assert await kiosk.stored() is None
    assert "borger.dk" not in await page.locator("body").inner_text()
    await screenshot(page, request.node.name, "after-reset")
    await kiosk.say("hej")
    assert "sender" not in kiosk.chat_bodies[-1]  # a new conversation, not the old one
    assert (await kiosk.stored())["sender"] not in (None, first_sender)
    assert not kiosk.errors, kiosk.errors
    assert not kiosk.csp_violations(), kiosk.csp_violations()
    await page.context.close()


async def test_keyboard_only(widget: Widget, request) -> None:
    page = widget.page
    for _ in range(20):
        await page.keyboard.press("Tab")
        if await widget.focused_testid() == "muni-open":
            break
    assert await widget.focused_testid() == "muni-open", "the chat button cannot be reached with Tab"
    await page.keyboard.press("Enter")
    await expect(widget.by("muni-window")).to_be_visible()
    await expect(widget.by("muni-open")).to_have_attribute("aria-expanded", "true")
    assert await widget.focused_testid() == "muni-input"
    await page.keyboard.type("hvad koster et nyt pas")
    await page.keyboard.press("Enter")
    assert "pas" in (await widget.answer_after(0)).lower()
    assert await widget.focused_testid() == "muni-input"
    await screenshot(page, request.node.name, "answer")
    await page.keyboard.press("Escape")
    await expect(widget.by("muni-window")).to_be_hidden()
    assert await widget.focused_testid() == "muni-open"
    await expect(widget.by("muni-open")).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize(("width", "height"), [(320, 640), (320, 256)], ids=["phone", "zoom400"])
async def test_small_screens_fit_without_horizontal_scrolling(browser, host, width, height, request) -> None:
    page = await new_page(browser, width, height)
    chat = Widget(page)
    await page.goto(host + "/")
    await chat.ready()
    await no_horizontal_scroll(page)
    await chat.open()
    await chat.say("hvad koster et nyt pas")
    await no_horizontal_scroll(page)
    box = await chat.by("muni-window").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
    field = chat.by("muni-input")
    await expect(field).to_be_visible()
    await expect(field).to_be_in_viewport()
    await expect(chat.by("muni-send")).to_be_in_viewport()
    await screenshot(page, request.node.name)
    assert not chat.errors, chat.errors
    assert not chat.csp_violations(), chat.csp_violations()
    await page.context.close()


async def test_axe_finds_no_serious_problems(widget: Widget, gateway, browser, request) -> None:
    await widget.open()
    await widget.say("jeg vil gerne booke en tid")  # an answer with quick-reply buttons
    await widget.say("hvad koster et nyt pas")  # an answer with links
    await widget.by("muni-handoff").click()  # a handoff notice and the rating question
    await expect(widget.by("muni-rating")).to_be_visible()
    axe = Axe()
    assert not widget.csp_violations()
    problems = serious_violations(await axe.run(widget.page))
    widget.console_errors.clear()  # axe-core itself applies inline styles, which the host page's CSP blocks
    assert not problems, "axe on the host page with the widget open:\n" + "\n".join(problems)

    page = await new_page(browser, 1080, 1920)
    kiosk = Widget(page, kiosk=True)
    await page.goto(base_url(gateway) + "/kiosk?municipality=frederikshavn")
    await kiosk.ready()
    await kiosk.say("hvad koster et nyt pas")
    problems = serious_violations(await axe.run(page))
    assert not problems, "axe on the kiosk:\n" + "\n".join(problems)
    await screenshot(page, request.node.name, "kiosk")
    await page.context.close()


@pytest.fixture
async def voiced_gateway(aiohttp_server, stack):
    """The gateway with its real speech engines (read-aloud, microphone)."""
    if not (DEFAULT_STT_MODEL_DIR / "model.bin").exists():
        pytest.fail("Talemodellen mangler: kør 'muni models install'.")
    voiced = GatewaySettings(
        rasa_url=stack[0].rasa_url, default_municipality="frederikshavn", rasa_token=TOKEN, voice=VoiceSettings()
    )
    return await aiohttp_server(create_app(voiced))


async def test_with_voice_on_the_kiosk_is_voice_first_and_answers_can_be_read_aloud(
    browser, voiced_gateway, request
) -> None:
    page = await new_page(browser, 1080, 1920)
    kiosk = Widget(page, kiosk=True)
    await page.goto(base_url(voiced_gateway) + "/kiosk?municipality=frederikshavn")
    await kiosk.ready()
    talk = kiosk.by("muni-mic")
    await expect(talk).to_be_visible()
    box = await talk.bounding_box()
    assert box and box["height"] >= 64 and box["width"] >= 120, f"press-to-talk button too small: {box}"
    await kiosk.say("hvad koster et nyt pas")
    read_aloud = kiosk.bot.last.locator('[data-testid="muni-read-aloud"]')
    await expect(read_aloud).to_be_visible()
    async with page.expect_response(lambda r: r.url.endswith("/api/tts")) as tts:
        await read_aloud.click()
    response = await tts.value
    assert response.status == 200 and response.headers["content-type"].startswith("audio/wav")
    await screenshot(page, request.node.name, "kiosk-voice")
    assert not kiosk.errors, kiosk.errors
    assert not kiosk.csp_violations(), kiosk.csp_violations()
    await page.context.close()


async def test_microphone_in_the_widget_is_heard_and_answered(
    aiohttp_server, voiced_gateway, tmp_path, request
) -> None:
    """Chromium's fake microphone plays espeak-ng speech; the widget streams it to the real gateway and Whisper."""
    host = base_url(await aiohttp_server(host_app(base_url(voiced_gateway))))
    async with chromium(microphone=speech_wav(tmp_path, "Kørekort")) as browser:
        page = await new_page(browser)
        chat = Widget(page)
        await page.goto(host + "/")
        await chat.ready()
        await chat.by("muni-open").click()
        await expect(chat.by("muni-mic")).to_be_visible()
        await chat.by("muni-mic").click()
        await expect(chat.user.first).to_be_visible(timeout=30_000)  # what Whisper heard
        await expect(chat.bot.first).to_be_visible(timeout=30_000)  # and the answer to it
        await screenshot(page, request.node.name, "heard-and-answered")
        heard = await chat.user.first.locator(".muni-text").inner_text()
        assert heard.strip(), "a transcript is shown as the citizen's message"
        assert not chat.errors, chat.errors
        await page.context.close()


async def test_ring_page_calls_by_microphone_and_keypad(voiced_gateway, tmp_path, request) -> None:
    """The page "Ring til kommunen fra din computer" (/ring) in Chromium, with a fake microphone playing speech."""
    async with chromium(microphone=speech_wav(tmp_path, "Kørekort")) as browser:
        page = await new_page(browser)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(base_url(voiced_gateway) + "/ring")
        await page.locator("#call").click()
        log = page.locator("#log")
        await expect(log).to_contain_text("kørekort", timeout=40_000, ignore_case=True)  # heard and answered
        await page.locator("#keypad button", has_text="0").first.click()  # 0: a person
        await expect(log).to_contain_text("medarbejder", timeout=30_000)
        await expect(page.locator("#status")).to_contain_text("medarbejder", timeout=30_000)
        await screenshot(page, request.node.name, "call")
        assert not errors, errors
        await page.context.close()
