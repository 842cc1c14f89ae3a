"""The acceptance walk in a real browser (Playwright driving Debian's Chromium, never a downloaded one):
admin invite -> learner sets a password -> logs in -> opens a phase -> pins a note -> sees it -> logs out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from miniportal.operations import invite
from miniportal.service import Portal
from miniportal.settings import PortalSettings

from .browserkit import CHROMIUM, PASSWORD


@pytest.fixture
def server(
    settings: PortalSettings, tmp_path: Path, live_portal: Callable[..., Any]
) -> Iterator[tuple[str, Portal]]:
    """The portal on a real socket (uvicorn in a thread), with an SQLite database of its own."""
    with live_portal(settings, tmp_path / "browser.db") as served:
        yield served


def test_invite_to_note_walk(server: tuple[str, Portal], tmp_path: Path, sync_api: Any) -> None:
    base, portal = server
    _, admin_url, _ = invite(portal, "admin", role="admin")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            admin = browser.new_page()
            admin.goto(admin_url)
            admin.fill("input[name=password]", PASSWORD)
            admin.fill("input[name=password_confirm]", PASSWORD)
            admin.click("button[type=submit]:has-text('Set password')")
            admin.wait_for_url(f"{base}/admin")  # an admin lands on the Learners page
            admin.fill("form[action='/admin/users'] input[name=username]", "lena")
            admin.select_option("form[action='/admin/users'] select[name=role]", "student")
            admin.click("form[action='/admin/users'] button[type=submit]")
            learner_url = admin.inner_text("#invite-url").strip()
            assert learner_url.startswith(f"{base}/invite/")

            learner = browser.new_context().new_page()
            learner.goto(learner_url)
            learner.fill("input[name=password]", PASSWORD)
            learner.fill("input[name=password_confirm]", PASSWORD)
            learner.click("button[type=submit]:has-text('Set password')")
            learner.wait_for_url(f"{base}/")
            learner.click("#logout")
            learner.wait_for_url(re.compile(r".*/login$"))
            learner.fill("input[name=username]", "lena")
            learner.fill("input[name=password]", PASSWORD)
            learner.click("form[action='/login'] button[type=submit]")
            learner.wait_for_url(f"{base}/")

            learner.goto(f"{base}/phases/07")
            slot = learner.locator(".notes-at[data-for='what-you-build-p1']")
            slot.locator("details.note-add summary").click()
            slot.locator("details.note-add textarea").fill(
                "Value keeps its parents: that is the graph."
            )
            slot.locator("details.note-add button[type=submit]").click()
            learner.wait_for_url(re.compile(r".*/phases/07#what-you-build-p1$"))
            note = learner.locator(".notes-at[data-for='what-you-build-p1'] .note-body")
            assert note.inner_text() == "Value keeps its parents: that is the graph."
            # the note sits right after its paragraph
            paragraph = learner.locator("#what-you-build-p1")
            assert "Value" in paragraph.inner_text()
            shot = tmp_path / "phase-07-with-note.png"
            learner.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            learner.click("#logout")
            learner.wait_for_url(re.compile(r".*/login$"))
            learner.goto(f"{base}/notes")
            assert "/login" in learner.url  # logged out for real
        finally:
            browser.close()
