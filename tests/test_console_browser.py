"""The console in a real browser: headless Chromium (Debian's package) driven by Playwright.

A steward signs in, opens a task, merges it with a reason and a signature, sees the golden record
change, and unmerges it again; an auditor finds no write buttons and a forged post is refused; every
main page renders without console errors in English and Chinese, and its screenshot is kept as a
test artefact (in $ARTIFACTS/screenshots, which `.ci/run` collects).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import post, results
from signing import PASSWORD, principal
from test_steward import REVIEW, SGH
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("MDM_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("ARTIFACTS", "test-artifacts")) / "screenshots"

if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else __import__(
    "playwright.sync_api", fromlist=["sync_playwright"])


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def server(app) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


@pytest.fixture()
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
    yield pg
    context.close()


def sign_in(page, base: str, name: str, password: str = PASSWORD, lang: str = "en") -> None:
    page.goto(f"{base}/auth/sign-in?lang={lang}")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture()
def task(client) -> tuple[str, str, int]:
    candidate = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    body = post(client, "crm", "customer", [REVIEW])
    assert results(body) == ["review"]
    task_id = client.get("/api/v1/tasks").get_json()["items"][0]["id"]
    return candidate, body["results"][0]["golden_id"], task_id


def test_steward_merges_a_task_and_unmerges_it_again(app, client, server, page, task) -> None:
    candidate, own, task_id = task
    principal(app, "ana", "steward", display_name="Ana Lima")
    sign_in(page, server, "ana")
    page.click("text=Review queue")
    page.click(f"text=#{task_id}")
    assert page.locator("table.comparisons td.score").count() >= 3
    assert page.locator("p.total").inner_text().startswith("Match probability")
    shot(page, "task-en")
    page.check("#d-merge")
    page.fill("#decide-reason", "same hospital, building B is its annex")
    page.fill("#decide-password", PASSWORD)
    page.click("#decide-button")
    page.wait_for_url(f"{server}/golden/customer/{candidate}")
    assert page.locator(".flash-ok").inner_text().startswith("Merged into")
    assert page.locator("text=crm").first.is_visible()
    assert "Ana Lima" in page.locator(".signature").first.inner_text()
    shot(page, "golden-after-merge-en")
    merged = client.get(f"/api/v1/golden/customer/{own}").get_json()
    assert merged["status"] == "merged" and merged["merged_into"] == candidate

    page.click("summary:has-text('Unmerge crm/A-1')")
    form = page.locator("form:has(input[name=source_key][value='A-1'])")
    form.locator("input[name=reason]").fill("two sites after all")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button.unmerge-button").click()
    page.wait_for_load_state()
    assert "now belongs to" in page.locator(".flash-ok").inner_text()
    restored = client.get(f"/api/v1/golden/customer/{own}").get_json()
    assert restored["status"] == "active"
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_wrong_password_signs_nothing(app, client, server, page, task) -> None:
    _candidate, own, task_id = task
    principal(app, "ana", "steward")
    sign_in(page, server, "ana")
    page.goto(f"{server}/tasks/{task_id}")
    page.check("#d-merge")
    page.fill("#decide-reason", "same")
    page.fill("#decide-password", "not my password")
    page.click("#decide-button")
    page.wait_for_load_state()
    assert "nothing was changed" in page.locator(".flash-error").inner_text()
    assert client.get(f"/api/v1/golden/customer/{own}").get_json()["status"] == "active"


def test_an_auditor_sees_no_write_buttons_and_a_forged_post_is_refused(app, client, server, page, task) -> None:
    candidate, _own, task_id = task
    principal(app, "inspector", "auditor")
    sign_in(page, server, "inspector")
    page.goto(f"{server}/tasks/{task_id}")
    assert page.locator("#decide-button").count() == 0 and page.locator("form[action*=decide]").count() == 0
    page.goto(f"{server}/golden/customer/{candidate}")
    assert page.locator("form[action*=pin]").count() == 0 and page.locator(".unmerge-button").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(f"{server}/tasks/{task_id}/decide", form={
        "csrf_token": csrf, "decision": "merge", "reason": "forged", "password": PASSWORD, "revision": "0"})
    assert forged.status == 403
    assert client.get(f"/api/v1/tasks/{task_id}").get_json()["status"] == "open"
    denied = client.get("/api/v1/audit", query_string={"action": "access_denied"}).get_json()["items"]
    assert [e["actor"] for e in denied] == ["inspector"]


@pytest.mark.parametrize("lang, marker", [("en", "Review queue"), ("zh", "审核队列")])
def test_every_main_page_renders_without_console_errors(app, client, server, page, task, lang, marker) -> None:
    candidate, _own, task_id = task
    principal(app, "ana", "steward")
    sign_in(page, server, "ana", lang=lang)
    pages = {"dashboard": "/", "queue": "/tasks", "task": f"/tasks/{task_id}",
             "golden-list": "/golden/customer", "golden": f"/golden/customer/{candidate}",
             "lineage": f"/golden/customer/{candidate}/lineage", "quarantine": "/quarantine",
             "dictionary": "/dictionary/customer"}
    for name, path in pages.items():
        response = page.goto(server + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        assert marker in page.content(), name
        shot(page, f"{name}-{lang}")
    assert page.locator("svg.lineage").count() == 0  # the last page was the dictionary
    page.goto(f"{server}/golden/customer/{candidate}/lineage")
    assert page.locator("svg.lineage g.node").count() >= 3
    if lang == "zh":
        assert "名称" in page.content() or "客户" in page.content()  # dictionary labels in Chinese
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_the_audit_browser_verifies_the_chain(app, client, server, page, task) -> None:
    principal(app, "inspector", "auditor")
    sign_in(page, server, "inspector")
    page.goto(f"{server}/audit")
    page.click("button[name=verify]")
    page.wait_for_load_state()
    assert "The chain verifies" in page.locator(".flash-ok").inner_text()
    shot(page, "audit-en")


def test_sign_in_with_the_keyboard_alone(app, server, page) -> None:
    principal(app, "ana", "steward")
    page.goto(f"{server}/auth/sign-in")
    page.keyboard.press("Tab")  # the skip link first
    page.keyboard.press("Tab")
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("ana")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/")
    assert page.locator(".me").inner_text().startswith("Ana")
    # every form field on the task-free dashboard and the quarantine page has a label
    page.goto(f"{server}/quarantine")
    unlabelled = page.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), select')]
        .filter(e => !(e.id && document.querySelector(`label[for="${e.id}"]`))).length""")
    assert unlabelled == 0
