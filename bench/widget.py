"""``muni bench widget``: the chat widget's size and its time to interactive on the sample host page.

No Rasa is needed: the gateway runs in-process with a dead ``rasa_url`` (``/api/widget-config`` and the
widget's files work without Rasa), and the sample page ``example-host.html`` is served from another port,
so the widget loads cross-origin as on a municipality's web site. Chromium is Debian's ``/usr/bin/chromium``
(never downloaded); the end-to-end tests in ``tests/e2e/test_widget.py`` launch it the same way.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import statistics
from pathlib import Path
from typing import Any

from bench.stats import percentile
from muni_core.paths import REPORTS_DIR
from tests.support.chromium import CHROMIUM, launch_chromium, serving
from tests.support.host_page import host_app
from tests.support.ports import free_port
from voice_gateway.paths import WIDGET_DIR

# Page-side wait: the chat button is visible and window.MuniWidget exists; resolves to performance.now().
INTERACTIVE_JS = """() => {
  const root = document.getElementById("muni-widget-root");
  const button = root && root.shadowRoot && root.shadowRoot.querySelector('[data-testid="muni-open"]');
  if (!window.MuniWidget || !button) return false;
  const box = button.getBoundingClientRect();
  const style = getComputedStyle(button);
  if (!box.width || !box.height || style.visibility === "hidden" || button.closest("[hidden]")) return false;
  return performance.now();
}"""


def widget_sizes() -> dict[str, int]:
    """Bytes of the widget's script and stylesheet, raw and gzipped (level 9), and the totals.

    The microphone script (``mic_js``) is loaded only when a citizen presses the microphone, so it is
    reported apart and not in the totals of the first load.
    """
    sizes: dict[str, int] = {}
    for kind, name in (("js", "muni-widget.js"), ("css", "muni-widget.css"), ("mic_js", "muni-mic.js")):
        raw = (WIDGET_DIR / name).read_bytes()
        sizes[f"{kind}_bytes"] = len(raw)
        sizes[f"{kind}_gzip_bytes"] = len(gzip.compress(raw, compresslevel=9, mtime=0))
    sizes["total_bytes"] = sizes["js_bytes"] + sizes["css_bytes"]
    sizes["total_gzip_bytes"] = sizes["js_gzip_bytes"] + sizes["css_gzip_bytes"]
    return sizes


async def measure_loads(runs: int) -> dict[str, Any]:
    """Load the host page ``runs`` times in fresh browser contexts; time to interactive and DOMContentLoaded.

    Times are ``performance.now()`` in the page, i.e. milliseconds from the start of the navigation.
    """
    from playwright.async_api import async_playwright

    from voice_gateway.app import create_app
    from voice_gateway.settings import GatewaySettings

    dead_rasa = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gateway_app = create_app(GatewaySettings(rasa_url=dead_rasa, default_municipality="frederikshavn"))
    interactive: list[float] = []
    dom_ready: list[float] = []
    async with serving(gateway_app, free_port()) as gateway, serving(host_app(gateway), free_port()) as host:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                for run in range(runs + 1):  # run 0 warms the browser process up and is not counted
                    context = await browser.new_context(viewport={"width": 1280, "height": 800})
                    page = await context.new_page()
                    await page.goto(host + "/", wait_until="commit")
                    handle = await page.wait_for_function(INTERACTIVE_JS, polling="raf", timeout=30_000)
                    ready_at = float(await handle.json_value())
                    if run == 0:
                        await context.close()
                        continue
                    interactive.append(ready_at)
                    await page.wait_for_load_state("domcontentloaded")
                    timing = await page.evaluate(
                        "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                    )
                    dom_ready.append(float(timing))
                    await context.close()
            finally:
                await browser.close()
    return {
        "runs": runs,
        "interactive_ms_median": round(statistics.median(interactive), 1),
        "interactive_ms_p95": round(percentile(interactive, 0.95), 1),
        "interactive_ms_max": round(max(interactive), 1),
        "dom_content_loaded_ms_median": round(statistics.median(dom_ready), 1),
        "dom_content_loaded_ms_p95": round(percentile(dom_ready, 0.95), 1),
    }


def run_widget_bench(runs: int) -> int:
    """Measure, print a Danish summary and write reports/widget-bench.json; 0 on success."""
    if runs < 1:
        print("Antal kørsler skal være mindst 1.")
        return 2
    if not Path(CHROMIUM).exists():
        print(f"Chromium mangler ({CHROMIUM}): installér Debians chromium-pakke (apt-get install chromium).")
        return 1
    sizes = widget_sizes()
    loads = asyncio.run(measure_loads(runs))
    figures = {"sizes": sizes, "load": loads, "browser": CHROMIUM}
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    report = REPORTS_DIR / "widget-bench.json"
    report.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")

    def kb(n: int) -> str:
        return f"{n / 1024:.1f} KB".replace(".", ",")

    def ms(x: float) -> str:
        return f"{x:.0f} ms"

    print("Chat-widget")
    print(f"  Størrelse, JavaScript: {kb(sizes['js_bytes'])} ({kb(sizes['js_gzip_bytes'])} gzip)")
    print(f"  Størrelse, CSS:        {kb(sizes['css_bytes'])} ({kb(sizes['css_gzip_bytes'])} gzip)")
    print(f"  Størrelse, i alt:      {kb(sizes['total_bytes'])} ({kb(sizes['total_gzip_bytes'])} gzip)")
    print(f"  Mikrofon (ved behov):  {kb(sizes['mic_js_bytes'])} ({kb(sizes['mic_js_gzip_bytes'])} gzip)")
    print(f"  Klar til brug på eksempelsiden ({runs} indlæsninger, ny browserkontekst hver gang):")
    print(
        f"    chat-knap synlig og MuniWidget klar: median {ms(loads['interactive_ms_median'])}, "
        f"p95 {ms(loads['interactive_ms_p95'])}"
    )
    print(
        f"    DOMContentLoaded:                    median {ms(loads['dom_content_loaded_ms_median'])}, "
        f"p95 {ms(loads['dom_content_loaded_ms_p95'])}"
    )
    print(f"  Gemt i {report}")
    return 0
