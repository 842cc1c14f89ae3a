"""A quiz one question at a time in a real browser, at 1280 and 390 px: a progress bar, one visible question,
digits pick choices, typing fills a text answer, Enter goes on and finally submits. Without JS the same page is
the whole form (the HTTP tests post it as such)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lynx_cortex.quiz import load_quizzes
from miniportal import accounts
from miniportal.questions import from_quiz_item
from miniportal.service import Portal
from miniportal.settings import PortalSettings

from .browserkit import CHROMIUM, PASSWORD, WIDTHS, check, login


@pytest.fixture
def server(
    settings: PortalSettings, tmp_path: Path, live_portal: Callable[..., Any]
) -> Iterator[tuple[str, Portal]]:
    with live_portal(settings, tmp_path / "steps.db") as served:
        yield served


def test_one_question_at_a_time_with_keys(
    server: tuple[str, Portal],
    tmp_path: Path,
    sync_api: Any,
    answers_for: Callable[..., dict[str, str]],
) -> None:
    base, portal = server
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "lena")
        accounts.store_password(
            portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
        )
    questions = [from_quiz_item(i, 0) for i in load_quizzes(portal.settings.quizzes_dir)[0].items]
    fields = answers_for(questions, frozenset({"q-00-06"}))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in WIDTHS:
                page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                login(page, base, "lena")
                page.goto(f"{base}/phases/00/quiz")
                assert page.locator("#quiz-steps").is_visible()
                assert not page.locator("#quiz-submit").is_visible()
                for k, q in enumerate(questions):
                    assert page.locator("fieldset.question:visible").count() == 1
                    assert page.locator(f"#q-{q.id}").is_visible()
                    assert page.eval_on_selector("#quiz-progress", "e => e.value") == k + 1
                    if k == 1:
                        check(page, tmp_path, f"quiz-step-{width}")
                    if q.kind == "single":
                        page.keyboard.press(fields[f"a-{q.id}"])
                    elif q.kind == "multi":
                        for name in fields:
                            if name.startswith(f"a-{q.id}-"):
                                page.keyboard.press(name.rsplit("-", 1)[1])
                    else:
                        page.keyboard.type(fields[f"a-{q.id}"])
                    if k == len(questions) - 1:
                        with page.expect_navigation():
                            page.keyboard.press("Enter")
                    else:
                        page.keyboard.press("Enter")
                total = len(questions)
                assert f"{total - 1} of {total} correct" in page.inner_text("#score")
        finally:
            browser.close()
