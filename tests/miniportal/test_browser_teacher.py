"""The teacher slice in a real browser (Playwright driving Debian's Chromium), at a laptop's 1280 px and a
phone's 390 px: a teacher drills from the cohort into one learner and reads her notes and journal; the learner
then finds those reads on her profile; a guest reads the curriculum. No page may scroll sideways."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from miniportal import accounts, learning
from miniportal.assessment import submit
from miniportal.questions import Graded, conjugation_question
from miniportal.service import Portal
from miniportal.settings import PortalSettings

from .browserkit import CHROMIUM, PASSWORD, WIDTHS, check, login


@pytest.fixture
def server(
    settings: PortalSettings, tmp_path: Path, live_portal: Callable[..., Any]
) -> Iterator[tuple[str, Portal]]:
    with live_portal(settings, tmp_path / "teacher.db") as served:
        yield served


def _people(portal: Portal) -> None:
    """ana (a learner with progress, a quiz, a note and a journal entry), ben, and the teacher tess."""
    question = conjugation_question("go", "past_simple", "3sg")
    graded = [
        Graded(question.__class__(**{**question.__dict__, "id": f"q-{i}"}), "x", True, i < 3)
        for i in range(4)
    ]
    with portal.engine.begin() as conn:
        for name, role in (("ana", "student"), ("ben", "student"), ("tess", "teacher")):
            user = accounts.create_user(portal, conn, name, role=role)
            accounts.store_password(
                portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
            )
            if name == "ana":
                for phase in range(12):
                    learning.set_status(portal, conn, user.id, phase, "done")
                learning.set_status(portal, conn, user.id, 12, "in_progress")
                submit(portal, conn, user.id, source="quiz", ref="00", phase=0, graded=graded)
                learning.add_note(portal, conn, user.id, "/phases/07", "intro-p1", "Ana's own note")
                learning.add_entry(portal, conn, user.id, date(2026, 1, 5), "Ana's diary line")


def test_teacher_drills_down_and_the_learner_sees_the_reads(
    server: tuple[str, Portal], tmp_path: Path, sync_api: Any
) -> None:
    base, portal = server
    _people(portal)
    shots = tmp_path / "shots"
    shots.mkdir()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in WIDTHS:
                size = {"width": width, "height": 900}
                teacher = browser.new_context(viewport=size).new_page()
                login(teacher, base, "tess")
                teacher.goto(f"{base}/admin/cohort")
                assert teacher.locator("#cohort-table tbody tr").count() == 2
                assert teacher.locator("svg.chart").count() == 2
                check(teacher, shots, "cohort")
                teacher.click("#learner-ana a[href='/cohort/ana']")
                teacher.wait_for_url(f"{base}/cohort/ana")
                assert "12 of 42 phases done" in teacher.inner_text("main")
                assert teacher.locator("#attempts tbody tr").count() == 1
                check(teacher, shots, "learner")
                teacher.click("#read-notes")
                teacher.wait_for_url(f"{base}/cohort/ana/notes")
                assert teacher.inner_text("#their-notes").strip().endswith("Ana's own note")
                check(teacher, shots, "learner-notes")
                teacher.goto(f"{base}/cohort/ana")
                teacher.click("#read-journal")
                teacher.wait_for_url(f"{base}/cohort/ana/journal")
                assert "Ana's diary line" in teacher.inner_text("#their-journal")
                teacher.context.close()

                ana = browser.new_context(viewport=size).new_page()
                login(ana, base, "ana")
                ana.goto(f"{base}/me")
                rows = ana.locator("#reads tbody tr")
                assert rows.count() == 2 * (WIDTHS.index(width) + 1)  # two reads per round
                first = rows.first.inner_text()
                assert "tess" in first and "your journal" in first
                assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", first)
                check(ana, shots, "me")
                refused = ana.goto(f"{base}/cohort/ben")
                assert refused is not None and refused.status == 404  # learners see no one else
                ana.context.close()
        finally:
            browser.close()


def test_a_guest_reads_the_curriculum_at_both_widths(
    server: tuple[str, Portal], tmp_path: Path, sync_api: Any
) -> None:
    base, _ = server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in WIDTHS:
                guest = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                guest.goto(f"{base}/")
                assert guest.url == f"{base}/"  # not sent to the login page
                assert guest.locator("#guest-banner").is_visible()
                assert guest.locator("ul.phases li").count() == 42
                check(guest, tmp_path, "guest-home")
                guest.click("a[href='/phases/07']")
                guest.wait_for_url(f"{base}/phases/07")
                assert "A Value remembers how it was made." in guest.inner_text("article.doc")
                assert guest.locator("details.note-add").count() == 0
                check(guest, tmp_path, "guest-phase")
                guest.click("#guest-banner a")
                guest.wait_for_url(re.compile(r".*/login\?next=/phases/07$"))
                guest.context.close()
        finally:
            browser.close()
