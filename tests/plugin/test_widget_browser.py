"""The embeddable widget in a real browser: Debian's Chromium, driven by Playwright, against
``dreamchat run`` with the tiny model.

On the demo page a person attaches photos, trains, watches the progress bar, asks for a
picture, opens it larger, downloads it and asks for another one. On a platform's own site (a
second origin, served here) the widget keeps its looks under hostile CSS and leaks none of its
own, follows the tenant's settings and the tag's attributes, survives an expiring token,
answers the page's API, and passes an axe-core audit on a desktop and a 390×844 phone.

Playwright only drives the system browser (``executable_path``); it never downloads one, and
axe-core comes inside the ``axe-playwright-python`` package. Screenshots and audit results are
kept in ``test-artifacts/`` whether a test passes or fails.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import redis

from core.blobs import LocalBlobStore
from core.domain import Scope, Tenant
from core.ids import hash_api_key
from core.settings import load_settings
from core.store import RedisStore
from core.tenants import create_tenant, set_allowed_origins
from plugin.app import create_app
from plugin.auth import Signer
from plugin.routes.widget import DEMO_USER
from worker.context import Context

from ..net import free_port, uvicorn_thread
from ..worker.harness import FAST_SETTINGS
from . import photos
from .conftest import purge_rq

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
)
expect = sync_api.expect
# A machine busy with other work starts Chromium and `dreamchat run` slowly.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SECRET = "widget-browser-test-secret-" + "s" * 32
"""The service's token secret, so tests can mint tokens of any lifetime, even expired ones."""

# The page's view of the widget's events, recorded from before the widget loads.
RECORD_EVENTS = """
window.__dc = [];
["ready", "image", "training"].forEach((name) =>
  window.addEventListener("dreamchat:" + name, (e) => window.__dc.push({name, detail: e.detail})));
"""


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


@pytest.fixture(scope="session")
def browser(chromium):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _new_page(browser, **context: Any):
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(RECORD_EVENTS)
    return ctx, ctx.new_page()


@pytest.fixture
def page(browser):
    ctx, page = _new_page(browser, viewport=DESKTOP)
    yield page
    ctx.close()


@pytest.fixture
def phone(browser):
    """A touch phone, 390×844 CSS pixels."""
    ctx, page = _new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    yield page
    ctx.close()


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
            "DREAMCHAT_SECRET_KEY": SECRET,
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

    def wait_ready(self, timeout: float = 600) -> None:
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

    def dev_tenant(self) -> dict[str, str]:
        return json.loads((self.data_dir / "dev-tenant.json").read_text())


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
def photo_files(tmp_path) -> list[Path]:
    """Four photos that pass every upload check (the service wants 256 px on the short side)."""
    out = tmp_path / "photos"
    out.mkdir()
    paths = [out / f"rex-{seed}.jpg" for seed in range(4)]
    for seed, path in enumerate(paths):
        path.write_bytes(photos.photo(seed))
    return paths


def in_widget(page, selector: str):
    """A locator inside the widget's shadow root (Playwright's CSS pierces open ones)."""
    return page.locator("dreamchat-widget").locator(selector)


def focused(page) -> str:
    """What has the focus, inside the widget or on the page: "widget:<class>" or "#<id>"."""
    return page.evaluate(
        """() => {
          const host = document.querySelector("dreamchat-widget");
          const inner = host && host.shadowRoot.activeElement;
          if (inner) return "widget:" + inner.className;
          return "#" + (document.activeElement && document.activeElement.id);
        }"""
    )


def events(page, name: str) -> list[dict]:
    return [e["detail"] for e in page.evaluate("window.__dc") if e["name"] == name]


def audit(page, name: str) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA rules over the page, shadow roots included; the full result is
    kept in test-artifacts/. Returns the serious and critical violations."""
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    results = axe_playwright.Axe().run(page, options=options)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps(results.response["violations"], indent=1)
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class Widget:
    """The chat as a person uses it. A step that fails inside ``explained()`` leaves a
    screenshot and names it in the assertion, with the service's log."""

    def __init__(self, page, service: RunningService | InProcessApi, screenshot: Path):
        self.page, self.service, self.screenshot = page, service, screenshot

    def open(self, url: str | None = None) -> None:
        with self.page.expect_response(lambda r: "/v1/events" in r.url) as stream:
            self.page.goto(url or self.service.url + "/")
        assert stream.value.status == 200, f"the event stream answered {stream.value.status}"
        assert in_widget(self.page, ".panel").is_visible(), "not opened"

    def send(self, text: str) -> None:
        in_widget(self.page, "input.text").fill(text)
        self.page.keyboard.press("Enter")

    def reply(self, text: str, timeout_ms: float = TIMEOUT_MS):
        message = in_widget(self.page, ".msg.bot").filter(has_text=text).last
        message.wait_for(timeout=timeout_ms)
        return message

    def loaded_image(self, message, index: int = 0):
        image = message.locator(".pics img").nth(index)
        image.wait_for()
        image.scroll_into_view_if_needed()
        self.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        return image

    def snapshot(self, path: Path | None = None) -> None:
        path = path or self.screenshot
        path.parent.mkdir(exist_ok=True)
        self.page.screenshot(path=str(path))

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


# Progress-bar widths as the widget shows them, kept by the page itself so none is missed.
WATCH_PROGRESS = """() => {
  window.__widths = [];
  const root = document.querySelector("dreamchat-widget").shadowRoot;
  new MutationObserver(() => {
    root.querySelectorAll(".bar > div").forEach((fill) => {
      const w = fill.style.width;
      if (w && window.__widths[window.__widths.length - 1] !== w) window.__widths.push(w);
    });
  }).observe(root, {subtree: true, childList: true, attributes: true});
}"""


def test_widget_onboards_trains_and_shows_a_picture(start_service, page, photo_files, tmp_path):
    service = start_service()
    widget = Widget(page, service, ARTIFACTS / "widget-desktop.png")
    with widget.explained():
        widget.open()
        page.evaluate(WATCH_PROGRESS)
        assert events(page, "ready"), "no dreamchat:ready event"

        in_widget(page, "input[type=file]:not([capture])").set_input_files(
            [str(p) for p in photo_files]
        )
        in_widget(page, ".up small").filter(has_text="\u2713").nth(len(photo_files) - 1).wait_for()
        widget.send("this is my dog Rex")
        widget.reply("Added 4 photos of Rex")
        assert in_widget(page, ".me .shots img").count() == 4, "the photo previews are missing"

        widget.send("train Rex")
        widget.reply("Training Rex now")
        widget.reply("Rex is ready!", timeout_ms=3 * TIMEOUT_MS)  # a training, on a busy CPU
        widths = page.evaluate("window.__widths")
        assert widths and widths[-1] == "100%", f"the progress bar did not fill: {widths}"
        assert any(w not in ("0%", "100%") for w in widths), f"no live progress: {widths}"
        widget.reply("Training done")  # the bar's own label, no longer counting down
        training = [e["type"] for e in events(page, "training")]
        assert "training.progress" in training and training[-1] == "training.succeeded", training

        widget.send("show my dog in Paris")
        reply = widget.reply("in Paris")
        picture = widget.loaded_image(reply)
        (shown,) = events(page, "image")
        assert shown["images"][0]["url"] == picture.get_attribute("src"), shown
        widget.snapshot()  # the conversation, before the larger view covers it
        violations = audit(page, "desktop-conversation")
        assert not violations, violations

        # The larger view: the same picture, a download of it, and "another one".
        reply.locator(".thumb").first.click()
        viewer = in_widget(page, ".viewer")
        assert viewer.locator("img").get_attribute("src") == picture.get_attribute("src")
        assert focused(page) == "widget:vbtn", "focus did not move into the larger view"
        violations = audit(page, "desktop-larger-view")
        assert not violations, violations
        with page.expect_download() as download:
            viewer.locator("a", has_text="Download").click()
        saved = tmp_path / "download.png"
        download.value.save_as(saved)
        assert download.value.suggested_filename.endswith(".png")
        assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page.keyboard.press("Escape")
        viewer.wait_for(state="detached")
        assert focused(page) == "widget:thumb", "focus did not return to the picture"

        reply.locator(".acts button").first.click()  # "another one", beside the picture
        again = widget.reply("Here's another one.")
        second = widget.loaded_image(again)
        assert second.get_attribute("src") != picture.get_attribute("src")
        first_id, second_id = (e["generation_id"] for e in events(page, "image"))
        auth = {"Authorization": f"Bearer {service.dev_tenant()['api_key']}"}
        auth["X-User-Id"] = DEMO_USER
        made = [
            httpx.get(f"{service.url}/v1/generations/{g}", headers=auth).json()
            for g in (first_id, second_id)
        ]
        assert made[0]["prompt"] == made[1]["prompt"] and made[1]["count"] == 1
        assert made[0]["seed"] != made[1]["seed"], "another one used the same seed"


def _train_through_api(service: RunningService, photo_files: list[Path], user_id: str) -> None:
    """Rex, trained for the demo page's user the way a platform's backend would do it."""
    key = service.dev_tenant()["api_key"]
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
        deadline = time.monotonic() + 180
        job = {"status": "queued"}
        while job["status"] in ("queued", "started"):
            assert time.monotonic() < deadline, f"training still {job['status']} after 180 s"
            answer = http.get(f"/v1/jobs/{job_id}")
            if answer.status_code == 429:  # the per-user rate limit of `dreamchat run`
                time.sleep(float(answer.headers["Retry-After"]))
                continue
            job = answer.raise_for_status().json()
            time.sleep(0.5)
    assert job["status"] == "succeeded", job


def test_a_picture_slower_than_the_turn_arrives_under_its_reply_on_a_phone(
    start_service, phone, photo_files
):
    """The chat answers before the picture exists ("it'll appear here in a moment"); the
    picture comes on the event stream and lands under that reply. On a 390 px phone the
    panel is the whole screen and photos come from the camera or the gallery."""
    service = start_service(DREAMCHAT_CHAT_WAIT_SECONDS="0")
    _train_through_api(service, photo_files, DEMO_USER)
    widget = Widget(phone, service, ARTIFACTS / "widget-phone-390x844.png")
    with widget.explained():
        widget.open()
        box = in_widget(phone, ".panel").bounding_box()
        assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}, box
        assert not in_widget(phone, ".launcher").is_visible(), "the launcher shows over the chat"
        gallery = in_widget(phone, "input[type=file]:not([capture])")
        camera = in_widget(phone, "input[type=file][capture]")
        assert gallery.get_attribute("accept") == camera.get_attribute("accept") == "image/*"
        assert gallery.get_attribute("multiple") is not None
        assert camera.get_attribute("capture") == "environment"
        take = in_widget(phone, "button[aria-label='Take a photo']")
        assert take.is_visible(), "no camera button on a touch screen"

        widget.send("show Rex in Paris")
        promise = widget.reply("appear here in a moment")
        widget.loaded_image(promise)
        widget.snapshot()
        violations = audit(phone, "phone-conversation")
        assert not violations, violations


def test_a_cancelled_picture_says_so_under_its_reply(start_service, page, photo_files):
    """A picture cancelled while it is drawn (``POST /v1/jobs/{id}/cancel``, as the assistant's
    cancel tool does) ends with a note under its reply, not a "still drawing" message."""
    # A slow picture on the tiny model: 150 denoising steps at 512 px.
    service = start_service(
        DREAMCHAT_CHAT_WAIT_SECONDS="0",
        DREAMCHAT_GENERATION_STEPS="150",
        DREAMCHAT_IMAGE_SIZE="512",
    )
    _train_through_api(service, photo_files, DEMO_USER)
    widget = Widget(page, service, ARTIFACTS / "widget-cancelled.png")
    with widget.explained():
        widget.open()
        with page.expect_response(
            lambda r: r.url.endswith("/v1/chat") and r.request.method == "POST"
        ) as answer:
            widget.send("show Rex in Paris")
        generation_id = answer.value.json()["generation_id"]
        widget.reply("appear here in a moment")
        key = service.dev_tenant()["api_key"]
        cancelled = httpx.post(
            f"{service.url}/v1/jobs/{generation_id}/cancel",
            headers={"Authorization": f"Bearer {key}", "X-User-Id": DEMO_USER},
        )
        assert cancelled.status_code == 200, cancelled.text
        note = widget.reply("That picture was cancelled.")
        assert note.locator(".pics img").count() == 0


# A platform's own site, on another origin -------------------------------------------------


class PlatformSite:
    """The platform's site: pages that embed the widget, and ``/token``, its backend's
    endpoint minting user tokens (``data-token-url``), each of a lifetime the test chooses."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.mint: Callable[[int], str] = lambda ttl: ""
        self.ttls: list[int] = []  # lifetimes of the next tokens; then an hour
        self.minted: list[str] = []
        self.origin = ""

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse, JSONResponse
        from starlette.routing import Route

        async def page(request: Any) -> HTMLResponse:
            return HTMLResponse(self.pages[request.path_params["name"]])

        async def token(request: Any) -> JSONResponse:
            ttl = self.ttls.pop(0) if self.ttls else 3600
            self.minted.append(self.mint(ttl))
            return JSONResponse({"token": self.minted[-1]})

        return Starlette(routes=[Route("/token", token), Route("/{name}", page)])

    def add(self, name: str, body: str, *, style: str = "") -> str:
        self.pages[name] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>Acme pets: {name}</title><style>html{{overflow-y:scroll}}{style}</style>"
            f"</head><body><main><h1>Acme pets</h1>{body}</main></body></html>"
        )
        return f"{self.origin}/{name}"


class InProcessApi:
    """The API app served from a thread: what the widget talks to when nothing needs a worker."""

    def __init__(self, url: str) -> None:
        self.url = url

    def output(self) -> str:
        return "(the API runs inside the test process; its log is the test's)"


class Shop:
    """The API (its Redis shared with the test, so tests make their own tenants) and the
    platform's site, for the tests that need no model."""

    def __init__(self, service: InProcessApi, site: PlatformSite, store: RedisStore):
        self.service, self.site, self.store = service, site, store
        self.signer = Signer(SECRET.encode())

    def tenant(self, user_id: str = "shopper-1") -> tuple[Tenant, dict[str, str]]:
        """A new tenant whose widget may run on the site; its tokens act for ``user_id``."""
        tenant, key = create_tenant(self.store, name=f"acme-{uuid.uuid4().hex[:6]}")
        set_allowed_origins(self.store, tenant_id=tenant.id, origins=[self.site.origin])
        assert tenant.api_key_hash == hash_api_key(key)
        self.site.mint = lambda ttl: self.token(tenant, user_id, ttl)
        return tenant, {"Authorization": f"Bearer {key}"}

    def token(self, tenant: Tenant, user_id: str, ttl: int) -> str:
        expires = int(time.time()) + ttl
        return self.signer.mint_user_token(tenant, user_id=user_id, expires_at=expires)

    def tag(self, **data: str) -> str:
        attrs = " ".join(f'data-{k.replace("_", "-")}="{html.escape(v)}"' for k, v in data.items())
        return f'<script src="{self.service.url}/widget.js" {attrs} async></script>'


@pytest.fixture(scope="module")
def shop(tmp_path_factory, redis_url) -> Iterator[Shop]:
    prefix = f"dctest-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(redis_url)
    settings = load_settings(
        redis_url=redis_url,
        key_prefix=prefix,
        data_dir=tmp_path_factory.mktemp("shop") / "data",
        secret_key=SECRET,
        rate_limit_tenant_per_minute=0,
        rate_limit_user_per_minute=0,
    )
    store = RedisStore(client, prefix=prefix)
    ctx = Context(settings, client, store, LocalBlobStore(settings.blob_dir))
    site = PlatformSite()
    try:
        with uvicorn_thread(site.app()) as site_url, uvicorn_thread(create_app(ctx)) as api_url:
            site.origin = site_url.replace("127.0.0.1", "localhost")  # another origin
            yield Shop(InProcessApi(api_url), site, store)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        purge_rq(client, prefix)
        client.close()


HOSTILE_CSS = """
* { box-sizing: content-box !important; font-family: "Comic Sans MS", cursive !important;
    letter-spacing: 4px !important; color: #f0f !important; transition: all 5s !important;
    line-height: 3 !important; text-align: right !important; }
div { display: inline !important; padding: 40px !important; margin: 30px !important;
      border: 6px dashed red !important; background: yellow !important; }
button { display: none !important; }
img { display: none !important; width: 3px !important; }
input, section, header, form, h2, p, span, svg, a { display: none !important; }
body { font-size: 40px; line-height: 3; text-transform: uppercase; direction: rtl;
       transform: none; }
"""
# Elements of the page that carry the class names the widget uses inside its shadow root.
LOOKALIKES = """
<div class="panel">the page's own panel</div><button class="launcher" id="own">Own button</button>
<p class="name">Page text</p><div class="msg bot">A page message</div>
<img class="avatar" alt="page image" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
"""
LAYOUT = """() => {
  const root = document.querySelector("dreamchat-widget").shadowRoot;
  const props = ["display", "position", "font-family", "font-size", "color", "background-color",
    "padding-top", "margin-top", "border-top-width", "border-top-style", "letter-spacing",
    "text-transform", "direction", "box-sizing", "visibility", "opacity", "line-height"];
  return [".launcher", ".panel", ".head", "h2", ".close", ".log", ".msg.bot", ".chip", "input.text",
          ".send", ".icon", ".avatar"].map((sel) => {
    const el = root.querySelector(sel), s = getComputedStyle(el), b = el.getBoundingClientRect();
    return {sel, box: [b.x, b.y, b.width, b.height].map(Math.round),
            style: Object.fromEntries(props.map((p) => [p, s.getPropertyValue(p)]))};
  });
}"""
PAGE_STYLES = """() => Array.from(document.querySelectorAll("main *:not(script)")).map((el) => {
  const s = getComputedStyle(el);
  return [el.tagName, el.className, s.display, s.color, s.backgroundColor, s.padding,
          s.fontFamily, s.borderTopWidth, s.position, s.borderRadius];
})"""


def _ready(page) -> None:
    page.wait_for_function("window.__dc.some((e) => e.name === 'ready')")


def test_a_hostile_page_neither_reaches_in_nor_is_reached(shop, page):
    tenant, _ = shop.tenant()
    tag = shop.tag(
        token=shop.token(tenant, "shopper-1", 3600),
        open="true",
        prompts="Rex on the beach|Rex in Paris",
    )
    plain = shop.site.add("plain", LOOKALIKES + tag)
    hostile = shop.site.add("hostile", LOOKALIKES + tag, style=HOSTILE_CSS)
    bare = shop.site.add("bare", LOOKALIKES)
    widget = Widget(page, shop.service, ARTIFACTS / "widget-hostile-page.png")
    with widget.explained():
        page.goto(bare)
        page_alone = page.evaluate(PAGE_STYLES)
        sheets_alone = page.evaluate("document.styleSheets.length")

        widget.open(plain)
        _ready(page)
        designed = page.evaluate(LAYOUT)
        assert page.evaluate(PAGE_STYLES) == page_alone, "the widget's CSS reached the page"
        assert page.evaluate("document.styleSheets.length") == sheets_alone
        assert page.evaluate("document.querySelectorAll('body > *').length") == 2  # main + widget

        widget.open(hostile)
        _ready(page)
        assert page.locator("#own").is_hidden(), "the hostile rules do not apply to the page"
        assert page.evaluate(LAYOUT) == designed, "the page's CSS reached into the widget"
        assert in_widget(page, ".launcher").is_visible() and in_widget(page, ".send").is_visible()
        widget.snapshot()


TENANT_LOOK = {
    "primary_color": "#0b6e4f",
    "position": "left",
    "launcher_icon": "camera",
    "title": "Pet portraits",
    "assistant_name": "Nova",
    "avatar_url": "https://cdn.shop.test/nova.png",
    "welcome_message": "Willkommen im Tierstudio!",
    "suggested_prompts": ["Rex am Strand", "Rex in Paris"],
    "language": "de",
}


def _avatar_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (48, 48), (240, 180, 60)).save(out, format="PNG")
    return out.getvalue()


def _look(page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
      const r = document.querySelector("dreamchat-widget").shadowRoot;
      const q = (s) => r.querySelector(s), style = (s, p) => getComputedStyle(q(s))[p];
      const avatar = q(".avatar");
      return {
        launcher: style(".launcher", "backgroundColor"), header: style(".head", "backgroundColor"),
        onColor: style(".send", "color"), left: q(".launcher").getBoundingClientRect().x,
        icon: (q(".launcher svg") || {}).className?.baseVal || q(".launcher img")?.src,
        title: q("h2").textContent, name: q(".name")?.textContent || null,
        avatar: avatar.tagName === "IMG" ? avatar.src : null,
        avatarLoaded: avatar.tagName === "IMG" && avatar.complete && avatar.naturalWidth > 0,
        welcome: q(".msg.bot .body").textContent,
        chips: Array.from(r.querySelectorAll(".chip")).map((c) => c.textContent),
        send: q(".send").textContent, input: q("input.text").getAttribute("aria-label"),
        lang: q(".dc").lang,
      };
    }"""
    )


def test_tenant_settings_and_attributes_change_the_widget(shop, page):
    tenant, admin = shop.tenant()
    changed = httpx.patch(
        f"{shop.service.url}/v1/widget/settings", headers=admin, json=TENANT_LOOK, timeout=30
    )
    assert changed.status_code == 200, changed.text
    avatar = _avatar_png()
    page.route(
        "https://cdn.shop.test/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=avatar),
    )
    fetched: list[str] = []
    page.on(
        "request",
        lambda r: (
            fetched.append(r.url) if "/v1/widget/settings" in r.url and r.method == "GET" else None
        ),
    )
    token = shop.token(tenant, "shopper-1", 3600)
    widget = Widget(page, shop.service, ARTIFACTS / "widget-customized.png")
    with widget.explained():
        widget.open(shop.site.add("tenant-look", shop.tag(token=token, open="true")))
        _ready(page)
        page.wait_for_function(
            "() => document.querySelector('dreamchat-widget').shadowRoot"
            ".querySelector('img.avatar').naturalWidth > 0"
        )
        look = _look(page)
        assert len(fetched) == 1, f"the settings were fetched {len(fetched)} times"
        assert look == {
            "launcher": "rgb(11, 110, 79)",
            "header": "rgb(11, 110, 79)",
            "onColor": "rgb(255, 255, 255)",
            "left": 20,
            "icon": "i-camera",
            "title": "Pet portraits",
            "name": "Nova",
            "avatar": "https://cdn.shop.test/nova.png",
            "avatarLoaded": True,
            "welcome": "Willkommen im Tierstudio!",
            "chips": ["Rex am Strand", "Rex in Paris"],
            "send": "Senden",
            "input": "Nachricht",
            "lang": "de",
        }
        widget.snapshot()

        # Every attribute overrides its setting; a fifth prompt is one too many.
        attributes = shop.tag(
            token=token,
            open="true",
            color="#d9480f",
            position="right",
            launcher_icon="sparkles",
            title="Portrait booth",
            assistant_name="Iris",
            avatar="https://cdn.shop.test/iris.png",
            welcome="Bonjour et bienvenue !",
            prompts="What can you do?|Rex en forêt|Rex à Paris|Rex à la plage|Rex sous la pluie",
            lang="fr",
        )
        widget.open(shop.site.add("attribute-look", attributes))
        _ready(page)
        look = _look(page)
        assert len(fetched) == 2, "one fetch per page load"
        assert look | {"avatarLoaded": None, "left": look["left"] > DESKTOP["width"] - 100} == {
            "launcher": "rgb(217, 72, 15)",
            "header": "rgb(217, 72, 15)",
            "onColor": "rgb(0, 0, 0)",  # black text contrasts more on this orange
            "left": True,
            "icon": "i-sparkles",
            "title": "Portrait booth",
            "name": "Iris",
            "avatar": "https://cdn.shop.test/iris.png",
            "avatarLoaded": None,
            "welcome": "Bonjour et bienvenue !",
            "chips": ["What can you do?", "Rex en forêt", "Rex à Paris", "Rex à la plage"],
            "send": "Envoyer",
            "input": "Message",
            "lang": "fr",
        }
        in_widget(page, ".chip").first.click()
        reply = widget.reply("Here's how")  # the assistant's help
        assert reply.locator(".body").get_attribute("lang") == "en"  # the assistant's English
        assert in_widget(page, ".msg.me").last.inner_text().endswith("What can you do?")
        assert in_widget(page, ".chips").is_hidden(), "the suggestions stay after the first turn"
        widget.snapshot(ARTIFACTS / "widget-customized-by-attributes.png")

        # A colour too light to see on the panel is refused; the tenant's is used instead.
        pale = shop.tag(token=token, open="true", color="#ffee00")
        widget.open(shop.site.add("pale", pale))
        _ready(page)
        assert _look(page)["launcher"] == "rgb(11, 110, 79)"


def test_an_expiring_token_is_replaced_without_losing_the_conversation(shop, page):
    tenant, _ = shop.tenant("shopper-2")
    shop.site.ttls = [15]  # the first token lives 15 s; the ones after it an hour
    chats: list[tuple[dict, str]] = []
    answers: list[int] = []

    streams: list[str] = []

    def seen(request: Any) -> None:
        if request.url.endswith("/v1/chat") and request.method == "POST":
            chats.append((request.post_data_json, request.headers["authorization"]))
        elif "/v1/events?token=" in request.url:
            streams.append(request.url)

    def answered(response: Any) -> None:
        if response.url.endswith("/v1/chat") and response.request.method == "POST":
            answers.append(response.status)

    page.on("request", seen)
    page.on("response", answered)
    url = shop.site.add("token-url", shop.tag(token_url="/token", open="true"))
    widget = Widget(page, shop.service, ARTIFACTS / "widget-token-refresh.png")
    with widget.explained():
        widget.open(url)
        _ready(page)
        first = shop.site.minted[0]
        widget.send("this is my dog Rex")
        widget.reply("Rex the dog is set up")
        expires = json.loads(_claims(first))["e"]

        # Replaced before it expires, without a refused request.
        deadline = time.monotonic() + 30
        while len(shop.site.minted) < 2:
            assert time.monotonic() < deadline, "the token was not refreshed before it expired"
            page.wait_for_timeout(250)
        assert time.time() < expires, "refreshed only after the token had expired"
        page.wait_for_timeout(max(0.0, expires + 1 - time.time()) * 1000)
        widget.send("what subjects do I have?")
        widget.reply("Your subjects: Rex")
        assert answers == [200, 200], answers

        # A token that is refused (here one the page pushes, already expired) is replaced
        # through data-token-url and the request is made again.
        page.evaluate("t => window.dreamchat.setToken(t)", shop.token(tenant, "shopper-2", -30))
        widget.send("hello")
        widget.reply("Here's how")  # its answer to hello, not the welcome
        assert answers[2:] == [401, 200], answers
        assert len(shop.site.minted) >= 3

        conversation = {body.get("conversation_id") for body, _ in chats[1:]}
        assert len(conversation) == 1 and None not in conversation, chats
        assert [a.removeprefix("Bearer ") for _, a in chats][0] == first
        assert chats[-1][1].removeprefix("Bearer ") in shop.site.minted[2:]
        messages = in_widget(page, ".msg.me").all_inner_texts()
        assert len(messages) == 3 and "this is my dog Rex" in messages[0]
        # The event stream was reopened with a fresh token.
        deadline = time.monotonic() + 30
        while not any(shop.site.minted[-1] in unquote(url) for url in streams):
            assert time.monotonic() < deadline, "the event stream kept the refused token"
            page.wait_for_timeout(250)
        widget.snapshot()


def _claims(token: str) -> str:
    import base64

    payload = token.removeprefix("dcu_").split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


def test_the_page_api_events_and_keyboard(shop, page):
    tenant, _ = shop.tenant("shopper-3")
    body = (
        '<p><button id="ask" onclick="window.dreamchat.open()">Ask the studio</button>'
        '<button id="hide" onclick="window.dreamchat.close()">Hide it</button></p>'
    )
    tag = shop.tag(token=shop.token(tenant, "shopper-3", 3600), prompts="Rex on the beach")
    widget = Widget(page, shop.service, ARTIFACTS / "widget-page-api.png")
    with widget.explained():
        page.goto(shop.site.add("api", body + tag))
        _ready(page)
        (ready,) = events(page, "ready")
        assert ready == {"open": False, "language": "en"}
        panel, launcher = in_widget(page, ".panel"), in_widget(page, ".launcher")
        assert panel.is_hidden() and launcher.get_attribute("aria-expanded") == "false"

        # The page opens it; focus goes in, Escape closes it and gives focus back.
        page.click("#ask")
        expect(panel).to_be_visible()
        assert panel.get_attribute("role") == "dialog"
        assert launcher.get_attribute("aria-expanded") == "true"
        assert focused(page) == "widget:text"
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        assert focused(page) == "#ask"

        # From the keyboard: the launcher opens it, the close button closes it.
        launcher.focus()
        page.keyboard.press("Enter")
        expect(panel).to_be_visible()
        assert focused(page) == "widget:text"
        outline = page.evaluate(
            "() => getComputedStyle(document.querySelector('dreamchat-widget').shadowRoot"
            ".querySelector('input.text')).outlineStyle"
        )
        assert outline == "solid", "no visible focus indicator"
        violations = audit(page, "desktop-open")
        assert not violations, violations
        in_widget(page, ".close").click()
        expect(panel).to_be_hidden()
        assert focused(page) == "widget:launcher"

        # send() opens the chat and talks; close() closes it.
        page.evaluate("window.dreamchat.send('hello')")
        widget.reply("Here's how")  # its answer to hello, not the welcome
        expect(panel).to_be_visible()
        assert in_widget(page, ".msg.me").last.inner_text().endswith("hello")
        assert in_widget(page, ".log").get_attribute("role") == "log"
        page.click("#hide")
        expect(panel).to_be_hidden()
        widget.snapshot()


def test_the_ready_notice_says_what_the_quality_report_found(shop, page):
    """A training that learned nothing is not announced as ready: the widget words its notice
    from the quality report the ``training.succeeded`` event carries (trainer/quality.py)."""
    tenant, _ = shop.tenant("shopper-3")
    url = shop.site.add(
        "quality", shop.tag(token=shop.token(tenant, "shopper-3", 3600), open="true")
    )
    widget = Widget(page, shop.service, ARTIFACTS / "widget-quality.png")
    scope = Scope(tenant.id, "shopper-3")
    with widget.explained():
        widget.open(url)
        _ready(page)
        notices = {
            "untrained": "training finished, but my test pictures don\u2019t look like your photos",
            "good": "Rex is ready \u2014 my test pictures match your photos well",
            "drifted": "may now look like Rex too",
        }
        for verdict, words in notices.items():
            quality = {"measured": True, "verdict": verdict, "subject_fidelity": 0.1}
            event = {"type": "training.succeeded", "training_id": f"trn_{verdict}"}
            event |= {"subject_name": "Rex", "quality": quality}
            shop.store.append_event(scope, event, max_len=100, ttl_seconds=600)
            widget.reply(words)
        # Without a report (a base model with no image embedding): the plain notice.
        event = {"type": "training.succeeded", "training_id": "trn_plain", "subject_name": "Max"}
        shop.store.append_event(scope, event, max_len=100, ttl_seconds=600)
        widget.reply("Max is ready! Ask me for a picture.")
        bot = in_widget(page, ".msg.bot").all_inner_texts()
        assert not any("Rex is ready!" in text for text in bot), bot
