"""Choosing a scheduler by name (a per-cohort setting): SM-2 or FSRS, both behind one interface."""

from __future__ import annotations

from minireview.fsrs import FSRSScheduler
from minireview.interface import BUTTONS, Button, ReviewScheduler, State
from minireview.sm2 import SM2Scheduler


def get_scheduler(name: str) -> ReviewScheduler:
    if name == "sm2":
        return SM2Scheduler()
    if name == "fsrs":
        return FSRSScheduler()
    raise ValueError(f"unknown scheduler {name!r}; use sm2 or fsrs")


__all__ = [
    "BUTTONS",
    "Button",
    "FSRSScheduler",
    "ReviewScheduler",
    "SM2Scheduler",
    "State",
    "get_scheduler",
]
