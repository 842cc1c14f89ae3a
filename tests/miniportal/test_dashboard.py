"""The teacher dashboard: a fixed number of SQL queries whatever the cohort size, the strip readable without
colour, quiz means, hardest items by first-try correctness, the review backlog and a safe CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from miniportal import accounts, learning, review
from miniportal.assessment import submit
from miniportal.db import review_cards
from miniportal.questions import Graded, conjugation_question
from miniportal.service import Portal

Open = Callable[..., TestClient]
CountQueries = Callable[[Portal], AbstractContextManager[list[str]]]
Csrf = Callable[[TestClient, str], str]


def _graded(items: list[tuple[str, bool]]) -> list[Graded]:
    question = conjugation_question("go", "past_simple", "3sg")
    return [
        Graded(question.__class__(**{**question.__dict__, "id": item_id}), "x", True, ok)
        for item_id, ok in items
    ]


def _cohort(portal: Portal, size: int, start: int = 0) -> None:
    """`size` learners with progress, quiz attempts (item q-00-02 hard, q-00-01 easy) and review cards."""
    with portal.engine.begin() as conn:
        for n in range(start, start + size):
            user = accounts.create_user(portal, conn, f"learner{n:03d}")
            learning.set_status(portal, conn, user.id, 0, "done")
            learning.set_status(portal, conn, user.id, 7, "in_progress")
            submit(
                portal,
                conn,
                user.id,
                source="quiz",
                ref="00",
                phase=0,
                graded=_graded([("q-00-01", True), ("q-00-02", n % 4 == 0)]),
            )


def test_the_dashboard_needs_at_most_six_queries_whatever_the_cohort_size(
    logged_in: Open, portal: Portal, clock: object, count_queries: CountQueries
) -> None:
    teacher = logged_in("tess", "teacher")
    counts = []
    _cohort(portal, 3)
    assert teacher.get("/").status_code == 200  # the session is now in the per-process cache
    for size in (3, 30):
        if size == 30:
            _cohort(portal, 27, start=3)
        with count_queries(portal) as statements:
            response = teacher.get("/admin/cohort")
        assert response.status_code == 200
        counts.append(len(statements))
        assert len(re.findall(r'<tr id="learner-', response.text)) == size
    assert all(count <= 5 for count in counts), counts
    assert counts[0] == counts[1]
    clock.advance(hours=2)  # type: ignore[attr-defined]  # the session's hourly "last seen" write is due
    with count_queries(portal) as statements:
        assert teacher.get("/admin/cohort").status_code == 200
    assert len(statements) <= 6, statements


def test_the_dashboard_shows_progress_as_text_means_hardest_items_and_backlog(
    logged_in: Open, portal: Portal, clock: object
) -> None:
    _cohort(portal, 4)
    clock.advance(days=1)  # type: ignore[attr-defined]  # the cards from wrong answers are now due
    page = logged_in("tess", "teacher").get("/admin/cohort").text
    row = page.split('id="learner-learner001"')[1].split("</tr>")[0]
    cells = re.findall(
        r'<span role="listitem" class="cell phase-([a-z_]+)"[^>]*aria-label="(\d\d): ([^"]+)"', row
    )
    assert len(cells) == 42
    assert cells[0] == ("done", "00", "Done") and cells[7] == ("in_progress", "07", "In progress")
    assert "1 done, 1 in progress, of 42" in row
    assert '<td class="backlog">1 / 1</td>' in row  # q-00-02 was wrong for learner001
    means = page.split('id="phase-means"')[1].split("</table>")[0]
    assert "<td>00</td><td>4</td><td>62 %</td>" in means  # (2 + 1 + 1 + 1) / 8
    hardest = re.findall(r"<code>(q-00-0\d)</code>", page.split('id="hardest"')[1])
    assert hardest == ["q-00-02", "q-00-01"]  # 25 % right at first try, then 100 %


def test_csv_export_and_who_may_see_and_change_what(
    logged_in: Open, get_csrf: Csrf, portal: Portal
) -> None:
    with portal.engine.begin() as conn:
        accounts.create_user(portal, conn, "mallory")
        mallory = accounts.find_user(conn, "mallory")
        assert mallory is not None
        accounts.update_profile(portal, conn, mallory.id, display_name='=HYPERLINK("x")')
    teacher = logged_in("tess", "teacher")
    exported = teacher.get("/admin/cohort.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["username", "display_name", "phases_done"] and len(rows[0]) == 5 + 42
    assert rows[1][1] == '\'=HYPERLINK("x")'  # no formula reaches a spreadsheet
    student = logged_in("ana")
    assert student.get("/admin/cohort").status_code == 403
    assert student.get("/admin/cohort.csv").status_code == 403
    token = get_csrf(teacher, "/admin/cohort")
    refused = teacher.post(
        "/admin/cohort/scheduler", data={"scheduler": "fsrs", "csrf_token": token}
    )
    assert refused.status_code == 403
    admin = logged_in("root", "admin")
    token = get_csrf(admin, "/admin/cohort")
    bad = admin.post("/admin/cohort/scheduler", data={"scheduler": "leitner", "csrf_token": token})
    assert bad.status_code == 400
    ok = admin.post(
        "/admin/cohort/scheduler",
        data={"scheduler": "fsrs", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    with portal.engine.connect() as conn:
        assert review.cohort_scheduler(conn) == "fsrs"
    assert "cohort.scheduler" in admin.get("/admin/audit").text


@pytest.mark.parametrize("path", ["/admin/cohort", "/admin/cohort.csv"])
def test_anonymous_visitors_are_sent_to_login(app_client: TestClient, path: str) -> None:
    response = app_client.get(path, follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]


def test_backlog_counts_only_due_unretired_cards(portal: Portal, clock: object) -> None:
    from miniportal import dashboard

    _cohort(portal, 1, start=1)  # learner001 got q-00-02 wrong: one card, due tomorrow
    tomorrow = portal.now() + timedelta(days=1)
    with portal.engine.begin() as conn:
        assert dashboard.build(conn, portal.now()).backlog == 0
        assert dashboard.build(conn, tomorrow).backlog == 1
        conn.execute(update(review_cards).values(retired_at=portal.now()))
        assert dashboard.build(conn, tomorrow).backlog == 0
