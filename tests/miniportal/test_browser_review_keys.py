"""Review like Anki in a real browser at 1280 and 390 px (reached from the "today" home page): the grades are hidden until Space reveals the answer,
each shows its next interval, and the keys 1-4 press them. No sideways scrolling at either width."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from miniportal import accounts, review
from miniportal.db import review_log
from miniportal.service import Portal
from miniportal.settings import PortalSettings

from .browserkit import CHROMIUM, PASSWORD, WIDTHS, check, login


@pytest.fixture
def server(
    settings: PortalSettings, tmp_path: Path, clock: Any, live_portal: Callable[..., Any]
) -> Iterator[tuple[str, Portal]]:
    with live_portal(settings, tmp_path / "keys.db", clock=clock) as served:
        yield served


def test_space_reveals_and_number_keys_grade(
    server: tuple[str, Portal], clock: Any, tmp_path: Path, sync_api: Any
) -> None:
    base, portal = server
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "lena")
        accounts.store_password(
            portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
        )
        review.seed_cards(portal, conn, user.id, ["q-00-06", "q-00-01"], "sm2")
    clock.advance(days=1)
    keys = {1280: ("3", "good"), 390: ("1", "again")}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in WIDTHS:
                page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                login(page, base, "lena")
                assert page.locator("#today-review").count() == 1  # home = today links the reviews
                check(page, tmp_path, f"today-{width}")
                page.goto(f"{base}/review")
                grade = page.locator("#grade-good")
                assert not grade.is_visible()  # hidden until the answer is shown
                page.keyboard.press("Space")
                assert grade.is_visible()
                assert page.locator("#review-reveal").get_attribute("open") is not None
                assert "1 d" in page.inner_text("#grade-good .interval")
                check(page, tmp_path, f"review-{width}")
                key, _ = keys[width]
                with page.expect_navigation(url=re.compile(r".*/review$")):
                    page.keyboard.press(key)
        finally:
            browser.close()
    with portal.engine.connect() as conn:
        pressed = list(
            conn.execute(select(review_log.c.button).order_by(review_log.c.id)).scalars()
        )
    assert pressed == [keys[w][1] for w in WIDTHS]
