"""The explorer in a real browser and the processes behind it: Voila, its kernels, ``banksim explore``.

The browser test drives Debian's headless Chromium with Playwright; it is skipped when Chromium or
Playwright is missing, unless BANKSIM_REQUIRE_E2E=1 (CI sets it), in which case their absence fails.
Every test checks that the processes it started (Voila and its kernels) are gone when it ends.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from banksim.cli import explore_command
from banksim.steps import STEPS

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "explorer.png"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip


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


def _wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds} s")
        time.sleep(0.25)


def _listening(port: int) -> bool:
    """True once the port accepts connections (a GET of the page would start a kernel)."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _kernels(root: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The ipykernel processes started under ``root`` (they run in sessions of their own)."""
    try:
        family = psutil.Process(root.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    kernels = []
    for process in family:
        try:
            if "ipykernel" in " ".join(process.cmdline()):
                kernels.append(process)
        except psutil.NoSuchProcess:
            pass
    return kernels


@pytest.fixture
def store_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DB_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "ARTIFACT_PATH": str(tmp_path / "artifacts"),
    }


@pytest.fixture
def leak_check() -> Iterator[Callable[[subprocess.Popen[bytes]], None]]:
    """Remember every process under a started root; after the test, assert none is left running."""
    seen: dict[int, psutil.Process] = {}

    def watch(root: subprocess.Popen[bytes]) -> None:
        for process in [psutil.Process(root.pid), *psutil.Process(root.pid).children(recursive=True)]:
            seen[process.pid] = process

    yield watch
    alive = []
    for process in seen.values():
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(process.cmdline())[:120])
                process.kill()
        except psutil.NoSuchProcess:
            pass
    assert not alive, f"left running: {alive}"


def _start_explore(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "banksim", "explore", "--port", str(port), "--num-positions", "1000"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: _listening(port), 150, "Voila listening")
    except BaseException:
        _stop_explore(server)  # a server that never listened is stopped too, with its kernels
        raise
    return server


def _stop_explore(server: subprocess.Popen[bytes], signum: int = signal.SIGTERM) -> int:
    server.send_signal(signum)
    try:
        return server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        raise


def _set_slider(page, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    readout = page.locator(f".bs-control-{name} .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _percent(text: str) -> float:
    return float(text.strip().rstrip("%"))


def test_explorer_in_a_real_browser(tmp_path: Path, store_env: dict[str, str], leak_check) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    server = _start_explore(port, store_env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1150}, accept_downloads=True)
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            headlines = page.locator(".bs-headlines")
            expect(headlines).to_contain_text("CET1 ratio", timeout=180_000)
            leak_check(server)
            assert len(_kernels(server)) == 1
            text = headlines.inner_text()
            assert "_" not in text and "Leverage ratio" in text and "Requirement" in text
            cet1 = headlines.locator("tr", has_text="CET1 ratio").first.locator("td").nth(1)
            before = _percent(cet1.inner_text())

            _set_slider(page, "house_price_change", "-30")
            expect(page.locator(".bs-cache-status")).to_contain_text(
                "Scenario applied: computed", timeout=120_000
            )
            after = _percent(cet1.inner_text())
            assert after < before, (before, after)
            change = headlines.locator("tr", has_text="CET1 ratio").first.locator("td").nth(5).inner_text()
            assert change.startswith("−") and change.endswith("pp"), change
            progress = page.locator(".bs-progress").inner_text()
            done, total = re.match(r"(\d+)/(\d+)", progress).groups()  # type: ignore[union-attr]
            # every step of the pipeline for the baseline, and again for the scenario
            assert int(done) == int(total) == 2 * len(STEPS), progress

            page.locator(".bs-control-scenario select").select_option(label="Combined (recession, liquidity)")
            expect(page.locator(".bs-control-pd_multiplier .widget-readout")).to_have_text(
                "2.5", timeout=120_000
            )
            expect(page.locator(".bs-cache-status")).not_to_contain_text("running", timeout=120_000)
            expect(headlines.locator("tr", has_text="(LCR)")).to_contain_text("Breached")

            chart = page.locator(".widget-output img").first
            expect(chart).to_be_visible()
            assert chart.evaluate("img => img.naturalWidth") > 300

            page.get_by_role("button", name="Excel workbook").click()
            link = page.locator(".bs-download a")
            expect(link).to_contain_text("banksim-combined.xlsx", timeout=120_000)
            with page.expect_download() as download:
                link.click()
            data = Path(download.value.path()).read_bytes()
            import openpyxl

            assert "Summary" in openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames
            expect(page.locator(".bs-error")).to_have_text("")
            page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
            if os.environ.get("BANKSIM_UPDATE_SCREENSHOT") == "1":
                page.screenshot(path=str(SCREENSHOT), full_page=True)

            # Leaving the page shuts its kernel down (Voila's beacon carries the _xsrf cookie).
            page.goto("about:blank")
            _wait_until(lambda: not _kernels(server), 30, "the page's kernel shut down after leaving")
            browser.close()
        assert (tmp_path / "explorer.png").stat().st_size > 10_000
    finally:
        stopped = _stop_explore(server)
    assert stopped == 0  # SIGTERM is a clean stop


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_voila_and_its_kernels(signum: int, store_env: dict[str, str], leak_check) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("voila")
    port = _free_port()
    server = _start_explore(port, store_env)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=180) as page:
            page.read()  # the page ran its notebook; with no browser connected, its kernel stays
        leak_check(server)
        assert len(_kernels(server)) == 1
    finally:
        stopped = _stop_explore(server, signum)
    assert stopped == 0  # a clean stop; leak_check then finds Voila and the kernel gone


def test_idle_kernels_are_culled(store_env: dict[str, str], leak_check) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("voila")
    port = _free_port()
    command = explore_command(port, cull_idle=2, cull_interval=1)
    env = {**store_env, "BANKSIM_APP_POSITIONS": "1000"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: _listening(port), 90, "Voila listening")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=180) as page:
            page.read()
        leak_check(server)
        assert len(_kernels(server)) == 1
        _wait_until(lambda: not _kernels(server), 30, "the idle kernel culled")
    finally:
        server.terminate()
        server.wait(timeout=60)
