"""The embeddable widget in a real browser: Debian's Chromium, driven by Playwright, against
``dreamchat run`` with the tiny model. A person opens the demo page, attaches photos, trains,
watches the progress bar, asks for a picture and opens it full size.

Playwright only drives the system browser (``executable_path``); it never downloads one.
Screenshots are kept in ``test-artifacts/`` whether a test passes or fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from plugin.routes.widget import DEMO_USER

from ..net import free_port
from ..worker.harness import FAST_SETTINGS
from . import photos

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 60_000  # per step; generous for a machine busy with other work


def _apt_install_chromium() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "install", "-y", "chromium"],
        env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed on first use where we may (root with apt-get)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)")
    result = _apt_install_chromium()
    if result.returncode != 0:  # a stale package list: refresh it once and try again
        subprocess.run(["apt-get", "update"], capture_output=True, timeout=600)
        result = _apt_install_chromium()
    if result.returncode != 0 or not CHROMIUM.exists():
        pytest.skip(f"could not install Debian's chromium:\n{result.stderr[-2000:]}")
    return CHROMIUM


class RunningService:
    """``dreamchat run`` in a subprocess, its output in a log file."""

    def __init__(self, data_dir: Path, base_model: Path, **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # embedded Redis
        env |= FAST_SETTINGS | {
            "DREAMCHAT_DATA_DIR": str(data_dir),
            "DREAMCHAT_BASE_MODEL": str(base_model),
            **settings,
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "run.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dreamchat.cli", "run", "--port", str(self.port)],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dreamchat run exited:\n{self.output()[-3000:]}"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"dreamchat run not ready after {timeout} s:\n{self.output()[-3000:]}")

    def interrupt(self) -> int:
        """Ctrl-C, as a person stops it; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode


@pytest.fixture
def start_service(tmp_path, tiny_sd) -> Iterator[Callable[..., RunningService]]:
    """``start_service(DREAMCHAT_X="...")``: ``dreamchat run`` on the tiny model, ready; it is
    stopped with Ctrl-C afterwards and must exit cleanly."""
    started: list[RunningService] = []

    def start(**settings: str) -> RunningService:
        running = RunningService(tmp_path / "data", tiny_sd, **settings)
        started.append(running)
        running.wait_ready()
        return running

    yield start
    for running in started:
        code = running.interrupt()
        assert code == 0, f"dreamchat run exited with {code} on Ctrl-C:\n{running.output()[-3000:]}"
        assert "stopped: API, worker and Redis" in running.output()


@pytest.fixture
def page(chromium):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


@pytest.fixture
def photo_files(tmp_path) -> list[Path]:
    """Four photos that pass every upload check (the service wants 256 px on the short side)."""
    out = tmp_path / "photos"
    out.mkdir()
    paths = [out / f"rex-{seed}.jpg" for seed in range(4)]
    for seed, path in enumerate(paths):
        path.write_bytes(photos.photo(seed))
    return paths


class Widget:
    """The demo page's chat as a person uses it. A step that fails inside ``explained()``
    leaves a screenshot and names it in the assertion, with the service's log."""

    def __init__(self, page, service: RunningService, screenshot: Path):
        self.page, self.service, self.screenshot = page, service, screenshot

    def open(self) -> None:
        with self.page.expect_response(lambda r: "/v1/events" in r.url) as stream:
            self.page.goto(self.service.url + "/")
        assert stream.value.status == 200, f"the event stream answered {stream.value.status}"
        assert "dc-open" in self.page.locator(".dc-panel").get_attribute("class"), "not opened"

    def send(self, text: str) -> None:
        self.page.fill("input[type=text]", text)
        self.page.keyboard.press("Enter")

    def reply(self, text: str):
        message = self.page.locator(".dc-msg.dc-bot", has_text=text).last
        message.wait_for()
        return message

    def loaded_image(self, message):
        image = message.locator(".dc-imgs img").first
        image.wait_for()
        image.scroll_into_view_if_needed()
        self.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        return image

    def snapshot(self) -> None:
        self.screenshot.parent.mkdir(exist_ok=True)
        self.page.screenshot(path=str(self.screenshot))

    @contextmanager
    def explained(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            self.snapshot()
            raise AssertionError(
                f"{type(exc).__name__}: {exc}\nscreenshot: {self.screenshot}\n"
                f"service log:\n{self.service.output()[-3000:]}"
            ) from exc


# Progress-bar widths as the page shows them, kept by the page itself so none is missed.
WATCH_PROGRESS = """() => {
  window.__widths = [];
  new MutationObserver(() => {
    document.querySelectorAll(".dc-progress > div").forEach((fill) => {
      const w = fill.style.width;
      if (w && window.__widths[window.__widths.length - 1] !== w) window.__widths.push(w);
    });
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def test_widget_onboards_trains_and_shows_a_picture(start_service, page, photo_files):
    widget = Widget(page, start_service(), ARTIFACTS / "widget.png")
    with widget.explained():
        widget.open()
        page.evaluate(WATCH_PROGRESS)

        page.set_input_files("input[type=file]", [str(p) for p in photo_files])
        page.locator(".dc-thumb small", has_text="\u2713").nth(len(photo_files) - 1).wait_for()
        widget.send("this is my dog Rex")
        widget.reply("Added 4 photos of Rex")
        assert page.locator(".dc-me .dc-imgs img").count() == 4, "the photo previews are missing"

        widget.send("train Rex")
        widget.reply("Training Rex now")
        widget.reply("Rex is ready!")
        widths = page.evaluate("window.__widths")
        assert widths and widths[-1] == "100%", f"the progress bar did not fill: {widths}"
        assert any(w not in ("0%", "100%") for w in widths), f"no live progress: {widths}"
        widget.reply("Training done")  # the bar's own label, no longer counting down

        widget.send("show my dog in Paris")
        picture = widget.loaded_image(widget.reply("in Paris"))
        widget.snapshot()  # the conversation, before the larger view covers it

        picture.click()
        download = page.locator(".dc-view a", has_text="Download")
        download.wait_for()
        href = download.get_attribute("href")
        assert href == picture.get_attribute("src"), "the larger view shows another image"
        assert page.locator(".dc-view img").get_attribute("src") == href
        image = page.request.get(href)
        assert image.ok and image.headers["content-type"] == "image/png", image.status
        page.keyboard.press("Escape")
        page.locator(".dc-view").wait_for(state="detached")


def _train_through_api(service: RunningService, photo_files: list[Path], user_id: str) -> None:
    """Rex, trained for the demo page's user the way a platform's backend would do it."""
    key = json.loads((service.data_dir / "dev-tenant.json").read_text())["api_key"]
    auth = {"Authorization": f"Bearer {key}", "X-User-Id": user_id}
    with httpx.Client(base_url=service.url, headers=auth, timeout=30) as http:
        upload_ids = []
        for path in photo_files:
            files = {"file": (path.name, path.read_bytes(), "image/jpeg")}
            uploaded = http.post("/v1/uploads", files=files).raise_for_status()
            upload_ids.append(uploaded.json()["upload_id"])
        subject = http.post("/v1/subjects", json={"name": "Rex", "class_noun": "dog"}).json()
        http.post(
            f"/v1/subjects/{subject['id']}/photos",
            json={"upload_ids": upload_ids},
        ).raise_for_status()
        job_id = http.post(f"/v1/subjects/{subject['id']}/train").json()["job_id"]
        deadline = time.monotonic() + 90
        job = {"status": "queued"}
        while job["status"] in ("queued", "started"):
            assert time.monotonic() < deadline, f"training still {job['status']} after 90 s"
            answer = http.get(f"/v1/jobs/{job_id}")
            if answer.status_code == 429:  # the per-user rate limit of `dreamchat run`
                time.sleep(float(answer.headers["Retry-After"]))
                continue
            job = answer.raise_for_status().json()
            time.sleep(0.5)
    assert job["status"] == "succeeded", job


def test_a_picture_slower_than_the_turn_arrives_under_its_reply(start_service, page, photo_files):
    """The chat answers before the picture exists ("it'll appear here in a moment"); the
    picture comes on the event stream and lands under that reply."""
    service = start_service(DREAMCHAT_CHAT_WAIT_SECONDS="0")
    _train_through_api(service, photo_files, DEMO_USER)
    widget = Widget(page, service, ARTIFACTS / "widget-late-picture.png")
    with widget.explained():
        widget.open()
        widget.send("show Rex in Paris")
        promise = widget.reply("appear here in a moment")
        widget.loaded_image(promise)
        widget.snapshot()
