"""The explorer in a real browser: Voila serves it, Playwright drives Debian's headless Chromium.

Skipped when Chromium or Playwright is missing, unless BANKSIM_REQUIRE_E2E=1 (CI sets it), in
which case their absence fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "explorer.png"


def _require_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"chromium ({CHROMIUM})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        reason = f"browser test needs {', '.join(missing)}"
        if os.environ.get("BANKSIM_REQUIRE_E2E") == "1":
            pytest.fail(reason + " and BANKSIM_REQUIRE_E2E=1")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def _set_slider(page, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    readout = page.locator(".widget-slider", has_text=label).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def test_explorer_in_a_real_browser(tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    env = {
        **os.environ,
        "DB_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "ARTIFACT_PATH": str(tmp_path / "artifacts"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "banksim", "explore", "--port", str(port), "--num-positions", "1000"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/", 90)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run"],
            )  # fmt: skip
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            status = page.locator(".bs-cache-status")
            # The first render runs the baseline (computed, or loaded if the readiness probe ran it).
            expect(status).to_contain_text("scenario: not needed", timeout=180_000)
            _set_slider(page, "house prices", "-0.3")
            expect(status).to_contain_text("scenario: computed", timeout=120_000)
            _set_slider(page, "house prices", "0")
            expect(status).to_contain_text("loaded from cache", timeout=120_000)
            expect(status).to_contain_text("scenario: not needed")
            page.get_by_role("button", name="Force recompute").click()
            expect(status).to_contain_text("computed in", timeout=120_000)
            expect(page.locator(".bs-error")).to_have_text("")
            page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
            if os.environ.get("BANKSIM_UPDATE_SCREENSHOT") == "1":
                page.screenshot(path=str(SCREENSHOT), full_page=True)
            browser.close()
        assert (tmp_path / "explorer.png").stat().st_size > 10_000
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
