"""Issue 4 figure, in headless Chromium against the 10,000-lead demo board: the client
PNG export of a 3840 x 2160 board (Konva canvas drawn at pixel ratio 2, stamped,
encoded as PNG), median of several runs, beside a 1x export of the screen's board in
the same run as the baseline. Target: <= 1 s at 3840 x 2160."""

from __future__ import annotations

import statistics

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.benchmarks.bench_api import board_ids
from tests.benchmarks.conftest import report
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.server import Server

RUNS = 9
TARGET_MS = 1000


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def export_runs(page, options: dict, runs: int = RUNS) -> list[dict]:
    page.evaluate("o => window.funnelboard.exportImage(o)", options)  # warm up
    return [page.evaluate("o => window.funnelboard.exportImage(o)", options) for _ in range(runs)]


def figures(runs: list[dict]) -> dict:
    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 1)

    return {
        "median_ms": median("ms"),
        "max_ms": round(max(r["ms"] for r in runs), 1),
        "board_canvas_ms": median("boardMs"),
        "charts_ms": median("chartsMs"),
        "png_encode_ms": median("encodeMs"),
        "size": f"{runs[0]['width']}x{runs[0]['height']}",
        "png_kb": round(statistics.median(r["bytes"] for r in runs) / 1024),
        "runs": len(runs),
    }


def test_client_png_export_4k(seeded_server: Server, browser: Browser):
    board = board_ids(seeded_server, seeded_server.token())["Q4 Pipeline"]
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    page = log_in(context, seeded_server.url, "marketing")
    page.goto(f"{seeded_server.url}/boards/{board}/")
    page.evaluate("window.funnelboard.ready")
    page.wait_for_function(
        "() => window.funnelboard.panelCharts?.().drawn.length === 4",
        timeout=60_000,
    )

    baseline = figures(export_runs(page, {"size": "1x"}))
    four_k = figures(export_runs(page, {"size": "4k"}))
    with_charts = figures(export_runs(page, {"size": "4k", "charts": True}, runs=5))
    report("client PNG export, 1x screen board (baseline)", **baseline)
    report("client PNG export, 3840x2160 whole board", **four_k)
    report("client PNG export, 3840x2160 board + 4 plotly charts", **with_charts)

    # The whole way through the page: Export button, dialog, download saved.
    clicks = []
    for _ in range(3):
        page.locator("#export-open").click()
        page.locator("dialog.export-dialog input[name=size][value='4k']").check()
        page.locator("dialog.export-dialog input[name=charts]").set_checked(False)
        started = page.evaluate("performance.now()")
        with page.expect_download() as info:
            page.locator("dialog.export-dialog [data-go]").click()
        info.value.path()
        clicks.append(page.evaluate("performance.now()") - started)
    report(
        "client PNG export, 3840x2160: click to saved download",
        median_ms=round(statistics.median(clicks), 1),
        runs=len(clicks),
    )
    context.close()
    assert four_k["size"] == "3840x2160"
    assert four_k["median_ms"] <= TARGET_MS, four_k
