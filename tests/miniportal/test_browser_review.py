"""The phase-41 exit gate in a real browser (Playwright driving Debian's Chromium): a learner fails one quiz
item, the portal's clock moves one day, the card is due in /review, and grading it reschedules it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lynx_cortex.quiz import load_quizzes
from miniportal import accounts
from miniportal.db import review_cards, review_log
from miniportal.questions import from_quiz_item
from miniportal.service import Portal
from miniportal.settings import PortalSettings

from .browserkit import CHROMIUM, PASSWORD


@pytest.fixture
def server(
    settings: PortalSettings, tmp_path: Path, clock: Any, live_portal: Callable[..., Any]
) -> Iterator[tuple[str, Portal]]:
    with live_portal(settings, tmp_path / "gate.db", clock=clock) as served:
        yield served


def test_exit_gate_fail_a_quiz_item_then_review_it_the_next_day(
    server: tuple[str, Portal],
    clock: Any,
    tmp_path: Path,
    answers_for: Callable[..., dict[str, str]],
    sync_api: Any,
) -> None:
    base, portal = server
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "lena")
        accounts.store_password(
            portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
        )
    quiz = load_quizzes(portal.settings.quizzes_dir)[0]
    fields = answers_for([from_quiz_item(item, 0) for item in quiz.items], frozenset({"q-00-06"}))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "lena")
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_url(f"{base}/")

            page.goto(f"{base}/phases/00")
            page.click("#take-quiz")
            page.wait_for_url(f"{base}/phases/00/quiz")
            for name, value in fields.items():
                target = page.locator(f"input[name='{name}']")
                while not target.first.is_visible():  # one question at a time: step to its page
                    page.click("#quiz-next")
                kind = target.first.get_attribute("type")
                if kind == "radio":
                    page.check(f"input[name='{name}'][value='{value}']")
                elif kind == "checkbox":
                    page.check(f"input[name='{name}']")
                else:
                    target.fill(value)
            while not page.locator("#quiz-submit").is_visible():
                page.click("#quiz-next")
            page.click("#quiz-submit")
            page.wait_for_selector("#score")
            assert f"{len(quiz.items) - 1} of {len(quiz.items)} correct" in page.inner_text(
                "#score"
            )
            assert "✗" in page.inner_text("#r-q-00-06")

            page.goto(f"{base}/review")
            assert page.locator("#review-empty").count() == 1  # not due until tomorrow

            clock.advance(days=1)
            page.goto(f"{base}/review")
            card = page.locator(".review-card")
            assert card.get_attribute("data-item") == "q-00-06"
            page.click(".review-card details.answer summary")
            assert "PYTHONHASHSEED" in card.inner_text()
            shot = tmp_path / "review.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            page.click("#grade-good")
            page.wait_for_url(re.compile(r".*/review$"))
            assert page.locator("#review-empty").count() == 1
        finally:
            browser.close()
    with portal.engine.connect() as conn:
        due_at = conn.execute(select(review_cards.c.due_at)).scalar_one()
        logged = conn.execute(select(review_log.c.button, review_log.c.due_before)).all()
    assert [row.button for row in logged] == ["good"]
    assert due_at == clock.now + timedelta(days=1) > logged[0].due_before  # rescheduled forward
