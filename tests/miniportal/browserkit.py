"""What the browser tests share: Debian's Chromium, the throwaway password, the two widths, logging in and the
no-sideways-scroll check with its screenshot. (The `sync_api` fixture that skips without Playwright or
Chromium is in conftest.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a browser-typed passphrase"  # noqa: S105  # throwaway test accounts
WIDTHS = (1280, 390)  # a laptop and a phone


def login(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}/")


def check(page: Any, shots: Path, name: str) -> None:
    """No sideways scrolling at this width, and a screenshot to look at."""
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: the page is {scroll} px wide in a {width} px window"
    shot = shots / f"{name}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
