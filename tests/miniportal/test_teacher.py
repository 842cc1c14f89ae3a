"""The teacher slice: the per-learner page and who may see it, audited reads visible to the learner, the
dashboard's last activity / stale marks / exam pass rate / charts, a bounded query count, guest reading, and
where a new account lands."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from miniportal import accounts, audit, dashboard, learner, learning, review
from miniportal.assessment import submit
from miniportal.db import audit_log, review_cards
from miniportal.questions import Graded, conjugation_question
from miniportal.service import Portal
from miniportal.settings import settings_from_env

Open = Callable[..., TestClient]
Csrf = Callable[[TestClient, str], str]


def _graded(right: int, wrong: int, prefix: str) -> list[Graded]:
    question = conjugation_question("go", "past_simple", "3sg")
    make = question.__class__
    return [
        Graded(make(**{**question.__dict__, "id": f"{prefix}-{i}"}), "x", True, i < right)
        for i in range(right + wrong)
    ]


def _user(portal: Portal, name: str) -> accounts.User:
    with portal.engine.connect() as conn:
        found = accounts.find_user(conn, name)
    assert found is not None
    return found


def _write(portal: Portal, name: str, *, notes: int = 1, journal: int = 1) -> None:
    user = _user(portal, name)
    with portal.engine.begin() as conn:
        for i in range(notes):
            learning.add_note(portal, conn, user.id, "/phases/07", "intro-p1", f"{name} note {i}")
        for i in range(journal):
            learning.add_entry(portal, conn, user.id, date(2026, 1, 1), f"{name} diary {i}")


# ------------------------------------------------------------------------------------ who sees what


@pytest.mark.parametrize(
    "path", ["/cohort/ana", "/cohort/ana/notes", "/cohort/ana/journal", "/admin/students/ana"]
)
def test_a_student_gets_404_for_every_learner_page_even_their_own(
    logged_in: Open, portal: Portal, path: str
) -> None:
    logged_in("ana")
    ben = logged_in("ben")
    assert ben.get(path).status_code == 404
    assert logged_in("ana").get(path).status_code == 404
    with portal.engine.connect() as conn:
        events = conn.execute(select(audit_log.c.event)).scalars().all()
    assert not set(events) & {"learner.notes_read", "learner.journal_read"}


def test_guests_are_sent_to_login_and_staff_see_only_active_students(
    app_client: TestClient, logged_in: Open, portal: Portal
) -> None:
    logged_in("ana")
    response = app_client.get("/cohort/ana", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    teacher = logged_in("tess", "teacher")
    admin = logged_in("root", "admin")
    for client in (teacher, admin):
        assert client.get("/cohort/ana").status_code == 200
        assert client.get("/cohort/nobody").status_code == 404
        assert client.get("/cohort/tess").status_code == 404  # staff are not learners
    moved = teacher.get("/admin/students/ana", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/cohort/ana"
    with portal.engine.begin() as conn:
        accounts.disable_user(portal, conn, _user(portal, "ana").id, actor_id=None)
    assert teacher.get("/cohort/ana").status_code == 404


def test_every_read_of_notes_or_journal_is_audited_and_shown_to_that_learner_only(
    logged_in: Open, portal: Portal, clock: Any
) -> None:
    ana, ben = logged_in("ana"), logged_in("ben")
    _write(portal, "ana", notes=2, journal=1)
    _write(portal, "ben")
    assert 'id="reads-none"' in ana.get("/me").text
    teacher = logged_in("tess", "teacher")
    overview = teacher.get("/cohort/ana").text
    assert "Read the 2 notes" in overview and "Read 1 journal entry" in overview
    with portal.engine.connect() as conn:
        assert (
            audit.reads_of(conn, _user(portal, "ana").id) == []
        )  # the overview reads nothing private
    notes_page = teacher.get("/cohort/ana/notes").text
    assert (
        "ana note 0" in notes_page and "ana note 1" in notes_page and "ben note" not in notes_page
    )
    clock.advance(minutes=5)
    journal_page = teacher.get("/cohort/ana/journal").text
    assert "ana diary 0" in journal_page and "ben diary" not in journal_page
    with portal.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.event, audit_log.c.actor_id, audit_log.c.subject_id).where(
                audit_log.c.event.like("learner.%")
            )
        ).all()
    tess, ana_id = _user(portal, "tess").id, _user(portal, "ana").id
    assert sorted(rows) == [
        ("learner.journal_read", tess, ana_id),
        ("learner.notes_read", tess, ana_id),
    ]
    mine = ana.get("/me").text.split('id="reads"')[1].split("</table>")[0]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", mine)
    assert [(c[1], "tess" in c[0] and "teacher" in c[0]) for c in cells] == [
        ("your journal", True),  # newest first
        ("your notes", True),
    ]
    assert cells[0][2] == f"{clock.now:%Y-%m-%d %H:%M} UTC"
    assert 'id="reads-none"' in ben.get("/me").text  # nobody read ben's


def test_the_learner_sees_reads_in_spanish_too(logged_in: Open, portal: Portal) -> None:
    ana = logged_in("ana")
    with portal.engine.begin() as conn:
        accounts.update_profile(portal, conn, _user(portal, "ana").id, locale="es")
    logged_in("tess", "teacher").get("/cohort/ana/notes")
    page = ana.get("/me").text
    assert "Quién ha leído mis notas y mi diario" in page and "tus notas" in page


# ------------------------------------------------------------------------------ the per-learner page


def test_the_learner_page_shows_history_review_load_retention_and_activity(
    logged_in: Open, portal: Portal, clock: Any
) -> None:
    logged_in("ana")
    ana = _user(portal, "ana")
    with portal.engine.begin() as conn:
        learning.set_status(portal, conn, ana.id, 3, "done")
        submit(portal, conn, ana.id, source="quiz", ref="03", phase=3, graded=_graded(1, 3, "a"))
    clock.advance(minutes=10)
    with portal.engine.begin() as conn:
        submit(
            portal, conn, ana.id, source="exam", ref="a13", phase=None, graded=_graded(8, 2, "b")
        )
    clock.advance(days=1)  # the five wrong answers are due as cards
    with portal.engine.begin() as conn:
        cards = conn.execute(select(review_cards.c.id).order_by(review_cards.c.id)).scalars().all()
        assert len(cards) == 5
        for card_id, button in zip(cards[:4], ("good", "again", "easy", "good"), strict=True):
            review.review_card(portal, conn, ana.id, card_id, button, "UTC", cap=30)
    with portal.engine.connect() as conn:
        detail = learner.build(conn, "ana", portal.now())
    assert [(a.source, a.correct, a.total, a.passed) for a in detail.attempts] == [
        ("quiz", 1, 4, False),
        ("exam", 8, 10, True),
    ]
    assert (detail.reviews_recent, detail.recalled_recent) == (4, 3)
    assert detail.retention == pytest.approx(0.75)
    assert detail.active_cards + detail.retired_cards == 5
    assert detail.notes == 0 and detail.done == 1
    page = logged_in("tess", "teacher").get("/cohort/ana").text
    assert "75 % of 4 reviews recalled" in page
    assert page.count('<span role="listitem" class="cell phase-') == 42
    assert "<svg" in page and page.count('class="dot"') == 2  # one mark per attempt
    history = page.split('id="attempts"')[1].split("</table>")[0]
    assert history.index("Exam a13") < history.index("Quiz 03")  # newest first
    assert "8 / 10 (80 %)" in history and "below the pass mark" in history


def test_time_on_task_sums_only_short_gaps() -> None:
    t0 = datetime(2026, 1, 1, 9, 0)
    stamps = [t0, t0 + timedelta(minutes=20), t0 + timedelta(minutes=45), t0 + timedelta(hours=3)]
    # 20 + 25 minutes count; the 2 h 15 min gap before the last action is a break
    assert learner.time_on_task(stamps) == timedelta(minutes=45)
    assert learner.time_on_task([]) == timedelta()


@given(st.lists(st.integers(0, 10_000), max_size=30), st.randoms())
def test_time_on_task_is_bounded_by_the_span_and_ignores_order(
    minutes: list[int], rng: Any
) -> None:
    t0 = datetime(2026, 1, 1)
    stamps = [t0 + timedelta(minutes=m) for m in minutes]
    total = learner.time_on_task(stamps)
    shuffled = list(stamps)
    rng.shuffle(shuffled)
    assert learner.time_on_task(shuffled) == total
    span = max(stamps) - min(stamps) if stamps else timedelta()
    assert timedelta() <= total <= span
    gaps = len(stamps) - 1 if stamps else 0
    assert total <= learner.IDLE_GAP * max(gaps, 0)


def test_the_learner_page_needs_the_same_few_queries_however_much_was_done(
    logged_in: Open, portal: Portal, count_queries: Any
) -> None:
    logged_in("ana")
    logged_in("ben")
    teacher = logged_in("tess", "teacher")
    assert teacher.get("/admin/cohort").status_code == 200  # the session is cached now
    counts = {}
    for name, rounds in (("ana", 1), ("ben", 25)):
        user = _user(portal, name)
        with portal.engine.begin() as conn:
            for phase in range(min(rounds, 42)):
                learning.set_status(portal, conn, user.id, phase, "done")
            for r in range(rounds):
                submit(
                    portal,
                    conn,
                    user.id,
                    source="quiz",
                    ref="00",
                    phase=0,
                    graded=_graded(1, 1, f"{name}{r}"),
                )
        _write(portal, name, notes=rounds, journal=rounds)
        with count_queries(portal) as statements:
            assert teacher.get(f"/cohort/{name}").status_code == 200
        counts[name] = len(statements)
    assert counts["ana"] == counts["ben"] <= 6, counts


# ----------------------------------------------------------------------------------- the dashboard


def _seen(portal: Portal, name: str, when: datetime) -> None:
    """Pretend `name` last logged in at `when` (the login stamp is one of the two activity sources)."""
    from sqlalchemy import update

    from miniportal.db import users

    with portal.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == name).values(last_login_at=when))


def test_stale_learners_last_activity_and_exam_pass_rate(
    logged_in: Open, portal: Portal, clock: Any, count_queries: Any
) -> None:
    logged_in("ana")  # logs in now: active
    with portal.engine.begin() as conn:
        accounts.create_user(portal, conn, "carl")  # invited, never came
        accounts.create_user(portal, conn, "dora")
    _seen(portal, "dora", clock.now - timedelta(days=8))
    ana = _user(portal, "ana")
    with portal.engine.begin() as conn:
        for right in (7, 6, 9):  # 70 % passes (the exam page's rule), 60 % does not
            submit(
                portal,
                conn,
                ana.id,
                source="exam",
                ref="a13",
                phase=None,
                graded=_graded(right, 10 - right, f"e{right}"),
            )
    with portal.engine.connect() as conn:
        cohort = dashboard.build(conn, portal.now(), stale_days=7)
    by_name = {r.username: r for r in cohort.learners}
    assert {n for n, r in by_name.items() if r.stale} == {"dora"}  # carl's account is new
    assert (by_name["ana"].exams_passed, by_name["ana"].exam_attempts) == (2, 3)
    assert cohort.exam_pass_rate == pytest.approx(2 / 3)
    assert by_name["ana"].last_active is not None and by_name["carl"].last_active is None
    with portal.engine.connect() as conn:
        later = dashboard.build(conn, portal.now() + timedelta(days=9), stale_days=7)
    assert {r.username for r in later.learners if r.stale} == {"ana", "carl", "dora"}
    teacher = logged_in("tess", "teacher")
    page = teacher.get("/admin/cohort").text
    assert re.search(r'<tr id="learner-dora" class="stale">', page)
    assert 'id="learner-ana">' in page  # not stale
    assert "exam pass rate 67 %" in page and "1 learner with no recent activity" in page
    row = page.split('id="learner-ana"')[1].split("</tr>")[0]
    assert '<td class="exams">2 / 3</td>' in row and 'href="/cohort/ana"' in row
    assert page.count("<svg") == 2 and "Phases done across the cohort" in page
    portal.settings = portal.settings.with_(stale_days=30)  # LYNX_PORTAL_STALE_DAYS=30
    relaxed = teacher.get("/admin/cohort").text
    assert 'class="stale"' not in relaxed and "0 learners with no recent activity" in relaxed


def test_progress_over_time_counts_phases_by_the_day_they_were_marked_done(
    portal: Portal, clock: Any
) -> None:
    start = clock.now
    with portal.engine.begin() as conn:
        a = accounts.create_user(portal, conn, "ana")
        b = accounts.create_user(portal, conn, "ben")
        learning.set_status(portal, conn, a.id, 0, "done")
        learning.set_status(portal, conn, b.id, 0, "done")
        clock.advance(days=2)
        learning.set_status(portal, conn, a.id, 1, "done")
        learning.set_status(portal, conn, b.id, 1, "in_progress")  # not done: not counted
        cohort = dashboard.build(conn, portal.now())
    assert cohort.done_over_time() == [(start.date(), 2), ((start + timedelta(days=2)).date(), 3)]


def test_the_stale_threshold_comes_from_the_environment() -> None:
    secrets = {f"LYNX_PORTAL_{k}": "x" * 40 for k in ("SESSION_SECRET", "PEPPER", "MASTER_KEY")}
    assert settings_from_env(secrets).stale_days == 7
    assert settings_from_env({**secrets, "LYNX_PORTAL_STALE_DAYS": "14"}).stale_days == 14
    from lynx_cortex.errors import LynxError

    for bad in ("0", "soon"):
        with pytest.raises(LynxError, match="LYNX_PORTAL_STALE_DAYS"):
            settings_from_env({**secrets, "LYNX_PORTAL_STALE_DAYS": bad})


def test_admin_page_separates_staff_from_students(logged_in: Open) -> None:
    logged_in("ana")
    logged_in("tess", "teacher")
    page = logged_in("root", "admin").get("/admin").text
    students = page.split('id="students"')[1].split("</table>")[0]
    staff = page.split('id="staff"')[1].split("</table>")[0]
    assert 'id="user-ana"' in students and 'href="/cohort/ana"' in students
    assert 'id="user-tess"' in staff and 'id="user-root"' in staff
    assert 'id="user-tess"' not in students and 'id="user-ana"' not in staff


# ------------------------------------------------------------------------- landing and guest reading


@pytest.mark.parametrize(
    ("role", "landing"), [("admin", "/admin"), ("teacher", "/admin/cohort"), ("student", "/")]
)
def test_a_new_account_lands_where_its_work_is(
    app_client: TestClient, portal: Portal, get_csrf: Csrf, role: str, landing: str
) -> None:
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "newbie", role=role)
        url = accounts.issue_invite(portal, conn, user.id, actor_id=None)
    path = url.removeprefix(portal.settings.base_url)
    token = get_csrf(app_client, path)
    password = "a long enough passphrase"  # noqa: S105  # a throwaway account
    done = app_client.post(
        path,
        data={"password": password, "password_confirm": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == landing


def test_guests_read_the_curriculum_without_writing_anything(
    app_client: TestClient, portal: Portal, count_queries: Any
) -> None:
    with count_queries(portal) as statements:
        home = app_client.get("/", follow_redirects=False)
        phases = app_client.get("/phases")
        phase = app_client.get("/phases/07")
    assert home.status_code == phases.status_code == phase.status_code == 200
    assert statements == []  # a guest's reading costs no query at all (and so writes nothing)
    assert len(re.findall(r'href="/phases/\d\d"', home.text)) == 42
    assert 'id="guest-banner"' in home.text and 'id="guest-banner"' in phase.text
    assert "A Value remembers how it was made." in phase.text
    assert "status-form" not in phase.text and "note-add" not in phase.text
    assert 'href="/login?next=/phases/07"' in phase.text
    for private in ("/notes", "/journal", "/review", "/exams", "/me", "/phases/07/quiz"):
        gone = app_client.get(private, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login"), private


def test_guests_cannot_write(app_client: TestClient, get_csrf: Csrf) -> None:
    token = get_csrf(app_client, "/phases/07")
    for path, data in (
        ("/notes", {"page": "/phases/07", "anchor": "intro-p1", "body": "x"}),
        ("/phases/07/progress", {"status": "done"}),
        ("/journal/2026-01-01", {"body": "x"}),
    ):
        response = app_client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 401, path
