"""The learner's and the teacher's pages over HTTP: curriculum, notes, journal, progress, profile, admin."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from miniportal import audit
from miniportal.service import Portal

Open = Callable[..., TestClient]
Csrf = Callable[[TestClient, str], str]
PASSWORD = "correct horse battery staple"  # noqa: S105  # a test account's password


def _post(
    client: TestClient, csrf: Csrf, path: str, data: dict[str, str], origin: str = "/"
) -> httpx.Response:
    return client.post(
        path, data={**data, "csrf_token": csrf(client, origin)}, follow_redirects=False
    )


def test_phase_page_renders_the_readme_with_paragraph_anchors(logged_in: Open) -> None:
    page = logged_in("ana").get("/phases/07").text
    assert '<p id="scalar-autograd-p1" data-anchor="scalar-autograd-p1">A Value remembers' in page
    assert 'id="what-you-build-p1"' in page
    assert page.count('name="anchor"') == 4  # one note form per paragraph (the callout included)


def test_phase_numbers_are_normalised_and_checked(logged_in: Open) -> None:
    client = logged_in("ana")
    assert client.get("/phases/7", follow_redirects=False).headers["location"] == "/phases/07"
    assert client.get("/phases/42").status_code == 404
    assert client.get("/phases/x7").status_code == 404
    missing = client.get("/phases/08")
    assert missing.status_code == 200 and 'id="phase-missing"' in missing.text


def test_phases_list_shows_all_42(logged_in: Open) -> None:
    page = logged_in("ana").get("/phases").text
    assert len(re.findall(r'href="/phases/\d\d"', page)) == 42


def test_raw_html_in_docs_is_shown_as_text(logged_in: Open, docs: Path) -> None:
    readme = docs / "phase-07-scalar-autograd" / "README.md"
    readme.write_text(
        "# T\n\n<script>alert(1)</script> and <img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n",
        encoding="utf-8",
    )
    page = logged_in("ana").get("/phases/07").text
    article = page.split('<article class="doc">')[1].split("</article>")[0]
    assert "<script" not in article and "<img" not in article and 'href="javascript' not in article
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article


def test_a_note_appears_at_its_paragraph_and_is_escaped(logged_in: Open, get_csrf: Csrf) -> None:
    client = logged_in("ana")
    body = "Remember <b>chain rule</b>"
    response = _post(
        client,
        get_csrf,
        "/notes",
        {"page": "/phases/07", "anchor": "what-you-build-p1", "body": body},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/phases/07#what-you-build-p1"
    page = client.get("/phases/07").text
    slot = page.split('data-for="what-you-build-p1"')[1].split('class="note-add"')[0]
    assert "Remember &lt;b&gt;chain rule&lt;/b&gt;" in slot
    assert "chain rule" not in page.split('data-for="what-you-build-p1"')[0]
    assert "chain rule" in client.get("/notes").text


def test_notes_whose_paragraph_vanished_are_listed_as_orphans(
    logged_in: Open, get_csrf: Csrf
) -> None:
    client = logged_in("ana")
    _post(
        client,
        get_csrf,
        "/notes",
        {"page": "/phases/07", "anchor": "old-heading-p3", "body": "lost"},
    )
    page = client.get("/phases/07").text
    assert 'class="orphans"' in page and "lost" in page.split('class="orphans"')[1]


def test_note_input_is_validated(logged_in: Open, get_csrf: Csrf) -> None:
    client = logged_in("ana")
    cases = [
        ({"page": "/etc/passwd", "anchor": "a-p1", "body": "x"}, "page"),
        ({"page": "/phases/07", "anchor": "Bad Anchor", "body": "x"}, "anchor"),
        ({"page": "/phases/07", "anchor": "a-p1", "body": "   "}, "body"),
        ({"page": "/phases/07", "anchor": "a-p1"}, "body"),
        ({"page": "/phases/07", "anchor": "a-p1", "body": "x" * 33_000}, "body"),
    ]
    for data, field in cases:
        response = _post(client, get_csrf, "/notes", data)
        assert response.status_code == 400, data
        assert field in response.text


def test_another_learners_note_answers_404(logged_in: Open, get_csrf: Csrf) -> None:
    ana, ben = logged_in("ana"), logged_in("ben")
    _post(ana, get_csrf, "/notes", {"page": "/phases/07", "anchor": "intro-p1", "body": "ana's"})
    note_id = re.search(r'id="note-(\d+)"', ana.get("/notes").text).group(1)  # type: ignore[union-attr]
    for action, data in (("edit", {"body": "ben was here"}), ("delete", {})):
        assert _post(ben, get_csrf, f"/notes/{note_id}/{action}", data).status_code == 404
        assert _post(ben, get_csrf, "/notes/999999/" + action, data).status_code == 404
    assert (
        "ana&#39;s" in ana.get("/notes").text
        and "ana" not in ben.get("/notes").text.split("<main>")[1]
    )
    assert _post(ana, get_csrf, f"/notes/{note_id}/edit", {"body": "edited"}).status_code == 303
    assert "edited" in ana.get("/phases/07").text
    assert _post(ana, get_csrf, f"/notes/{note_id}/delete", {}).status_code == 303
    assert "edited" not in ana.get("/notes").text


def test_journal_appends_per_day_and_is_private(logged_in: Open, get_csrf: Csrf) -> None:
    ana, ben = logged_in("ana"), logged_in("ben")
    for text in ("first thought", "second thought"):
        response = _post(ana, get_csrf, "/journal/2026-01-05", {"body": text})
        assert response.headers["location"] == "/journal/2026-01-05"
    day = ana.get("/journal/2026-01-05").text
    assert day.index("first thought") < day.index("second thought")
    assert "2026-01-05</a> (2)" in ana.get("/journal").text
    assert "first thought" not in ben.get("/journal/2026-01-05").text
    assert "2026-01-05" not in ben.get("/journal").text


def test_journal_dates_are_checked(logged_in: Open, get_csrf: Csrf) -> None:
    client = logged_in("ana")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    for bad in ("2026-13-01", "yesterday", "2026-1-1", tomorrow):
        assert client.get(f"/journal/{bad}").status_code == 400, bad
        assert _post(client, get_csrf, f"/journal/{bad}", {"body": "x"}).status_code == 400
    today = datetime.now(UTC).date().isoformat()  # the learner's zone is UTC by default
    assert f'href="/journal/{today}"' in client.get("/journal").text


def test_progress_is_saved_and_shown(logged_in: Open, get_csrf: Csrf) -> None:
    client = logged_in("ana")
    assert _post(client, get_csrf, "/phases/07/progress", {"status": "done"}).status_code == 303
    home = client.get("/progress").text
    assert 'id="done-count">1 of 42' in home
    assert _post(client, get_csrf, "/phases/07/progress", {"status": "finished"}).status_code == 400
    assert _post(client, get_csrf, "/phases/77/progress", {"status": "done"}).status_code == 404


def test_profile_and_locale_switch(logged_in: Open, get_csrf: Csrf) -> None:
    client = logged_in("ana")
    data = {
        "action": "profile",
        "display_name": "Ana  López",
        "locale": "es",
        "timezone": "Europe/Madrid",
    }
    response = _post(client, get_csrf, "/me", data)
    assert response.status_code == 200
    assert "Guardado." in response.text and 'lang="es"' in response.text
    assert "Mi progreso" in client.get("/").text and "Ana López" in client.get("/").text
    bad = {**data, "timezone": "Mars/Olympus"}
    assert _post(client, get_csrf, "/me", bad).status_code == 400
    assert (
        _post(client, get_csrf, "/locale", {"locale": "en", "next": "/phases"}).headers["location"]
        == "/phases"
    )
    assert "My progress" in client.get("/").text
    assert _post(client, get_csrf, "/locale", {"locale": "fr"}).status_code == 400


def test_anonymous_locale_switch_translates_the_login_page(
    app_client: TestClient, get_csrf: Csrf
) -> None:
    response = _post(
        app_client, get_csrf, "/locale", {"locale": "es", "next": "//evil.example"}, "/login"
    )
    assert response.headers["location"] == "/"
    assert "Contraseña" in app_client.get("/login").text


def test_password_change_logs_out_other_devices(
    logged_in: Open, get_csrf: Csrf, do_login: Callable[..., None]
) -> None:
    laptop, phone = logged_in("ana"), logged_in("ana")
    new = "an even better passphrase"
    wrong = {
        "action": "password",
        "current_password": "nope",
        "new_password": new,
        "new_password_confirm": new,
    }
    assert _post(laptop, get_csrf, "/me", wrong).status_code == 400
    ok = {**wrong, "current_password": PASSWORD}
    assert _post(laptop, get_csrf, "/me", ok).status_code == 200
    assert laptop.get("/me", follow_redirects=False).status_code == 200
    assert phone.get("/me", follow_redirects=False).status_code == 303
    do_login(phone, "ana", new)


def test_admin_pages_by_role(logged_in: Open, get_csrf: Csrf) -> None:
    student, teacher, admin = (
        logged_in("ana"),
        logged_in("tom", "teacher"),
        logged_in("root", "admin"),
    )
    assert student.get("/admin").status_code == 403
    assert student.get("/admin/audit").status_code == 403
    assert (
        teacher.get("/admin").status_code == 200
        and 'action="/admin/users"' not in teacher.get("/admin").text
    )
    assert teacher.get("/admin/audit").status_code == 200
    for client in (student, teacher):
        assert (
            _post(
                client, get_csrf, "/admin/users", {"username": "eve", "role": "admin"}
            ).status_code
            == 403
        )
    page = admin.get("/admin").text
    assert 'id="user-ana"' in page and page.count('class="cell') >= 3 * 42


def test_admin_creates_a_learner_who_redeems_the_invite(
    logged_in: Open, get_csrf: Csrf, portal: Portal, do_login: Callable[..., None]
) -> None:
    admin = logged_in("root", "admin")
    bad = _post(admin, get_csrf, "/admin/users", {"username": "Bad Name", "role": "student"})
    assert bad.status_code == 400
    assert (
        _post(admin, get_csrf, "/admin/users", {"username": "eve", "role": "god"}).status_code
        == 400
    )
    created = _post(admin, get_csrf, "/admin/users", {"username": "eve", "role": "student"})
    assert created.status_code == 201
    url = re.search(r'id="invite-url">([^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    assert (
        _post(admin, get_csrf, "/admin/users", {"username": "eve", "role": "student"}).status_code
        == 409
    )
    path = url.removeprefix(portal.settings.base_url)
    with TestClient(admin.app, base_url="http://testserver") as eve:
        token = get_csrf(eve, path)
        eve.post(
            path, data={"password": PASSWORD, "password_confirm": PASSWORD, "csrf_token": token}
        )
        assert "eve" in eve.get("/me").text
    user_id = re.search(
        r'action="/admin/users/(\d+)/disable"', admin.get("/admin").text.split('id="user-eve"')[1]
    ).group(1)  # type: ignore[union-attr]
    assert _post(admin, get_csrf, f"/admin/users/{user_id}/disable", {}).status_code == 303
    with TestClient(admin.app, base_url="http://testserver") as eve_again:
        token = get_csrf(eve_again, "/login")
        refused = eve_again.post(
            "/login", data={"username": "eve", "password": PASSWORD, "csrf_token": token}
        )
        assert refused.status_code == 401
    assert _post(admin, get_csrf, "/admin/users/99999/invite", {}).status_code == 404
    with portal.engine.connect() as conn:
        events = [row.event for row in audit.recent(portal, conn)]
    for event in (
        "user.created",
        "invite.created",
        "invite.redeemed",
        "user.disabled",
        "login.failure",
    ):
        assert event in events
    audit_page = admin.get("/admin/audit").text
    assert "user.disabled" in audit_page and "invite.redeemed" in audit_page


def test_ui_strings_exist_in_both_languages() -> None:
    from miniportal import i18n

    assert set(i18n.ES) <= set(i18n.EN)
    missing_es = set(i18n.EN) - set(i18n.ES)
    assert missing_es <= {"brand"}  # the brand name is not translated
    templates = Path(i18n.__file__).parent / "templates"
    used = set()
    for path in templates.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_.]+)'", path.read_text(encoding="utf-8")))
    used = {key for key in used if not key.endswith(".")}
    assert used <= set(i18n.EN), used - set(i18n.EN)
    assert len(used) > 40


def test_journal_today_follows_the_learners_time_zone(
    logged_in: Open, get_csrf: Csrf, clock: Any
) -> None:
    client = logged_in("ana")
    profile = {
        "action": "profile",
        "display_name": "Ana",
        "locale": "en",
        "timezone": "Pacific/Auckland",
    }
    _post(client, get_csrf, "/me", profile)
    clock.now = datetime(2026, 3, 1, 20, 0)  # 20:00 UTC is already 09:00 on 2 March in Auckland
    assert 'href="/journal/2026-03-02"' in client.get("/journal").text
    assert _post(client, get_csrf, "/journal/2026-03-02", {"body": "early"}).status_code == 303
    assert _post(client, get_csrf, "/journal/2026-03-03", {"body": "too early"}).status_code == 400


@pytest.mark.parametrize("locale", ["en", "es"])
def test_counts_of_one_take_the_singular(locale: str) -> None:
    from miniportal import i18n

    singular = {key.removesuffix(".one") for key in i18n.EN if key.endswith(".one")}
    assert {"quiz.cards", "review.status", "exams.count", "cohort.backlog_total"} <= singular
    for key in singular:
        one = i18n.translate(locale, key, n=1, nn="07", done=0, cap=30)
        two = i18n.translate(locale, key, n=2, nn="07", done=0, cap=30)
        assert "1" in one and "2" in two and "{" not in one, (key, one, two)
    english_plurals = ("cards", "questions", "reviews")
    for key in singular - {"review.left"}:  # "1 left" needs no singular noun in English
        one = i18n.translate("en", key, n=1, nn="07", done=0, cap=30).split(";")[0]
        assert not any(word in one for word in english_plurals), one
    assert (
        i18n.translate("en", "quiz.cards", n=1) == "1 new review card is waiting for you tomorrow."
    )
    assert (
        i18n.translate("en", "quiz.cards", n=3)
        == "3 new review cards are waiting for you tomorrow."
    )
    assert i18n.translate("es", "quiz.cards", n=1) == "Mañana te espera 1 tarjeta de repaso nueva."
    assert (
        i18n.translate("es", "quiz.cards", n=0) == "Mañana te esperan 0 tarjetas de repaso nuevas."
    )
