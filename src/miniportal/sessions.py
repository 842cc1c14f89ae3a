"""Server-side sessions behind a signed cookie, and CSRF tokens bound to them.

The cookie carries a random bearer token signed with the session secret; the database stores only its SHA-256,
so a leaked database cannot be replayed as cookies. A session lives 30 days from last use (rolling) and never
more than 90 days from login (absolute); revoking sets `revoked_at`, which every request checks (through a
short per-process cache that revocation clears: `miniportal.sessioncache`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import Connection, bindparam, insert, select, update

from miniportal.accounts import User
from miniportal.db import sessions, users
from miniportal.service import Portal
from miniportal.sessioncache import Cached

SESSION_COOKIE = "lynx_session"
ANON_COOKIE = "lynx_anon"


def _signer(portal: Portal) -> Signer:
    return Signer(portal.settings.session_secret, salt="lynx-portal/session-cookie")


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def cookie_token(portal: Portal, cookie: str | None) -> str | None:
    """The bearer token inside a cookie value, or None if the signature does not hold."""
    if not cookie:
        return None
    try:
        return _signer(portal).unsign(cookie).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None


def sign_token(portal: Portal, token: str) -> str:
    return _signer(portal).sign(token).decode("ascii")


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    id: str
    user: User


def start(
    portal: Portal, conn: Connection, user_id: int, *, ip: str | None, user_agent: str | None
) -> str:
    """A new session for `user_id`; returns the signed cookie value. Always a fresh id (no fixation)."""
    token = new_token()
    now = portal.now()
    conn.execute(
        insert(sessions).values(
            id=token_id(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=portal.settings.session_rolling_s),
            absolute_expires_at=now + timedelta(seconds=portal.settings.session_absolute_s),
            ip=ip,
            user_agent=(user_agent or "")[:256] or None,
        )
    )
    conn.execute(update(users).where(users.c.id == user_id).values(last_login_at=now))
    return sign_token(portal, token)


_SESSION_AND_USER = (  # built once: it runs on every request the session cache cannot answer
    select(sessions, users)
    .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
    .where(sessions.c.id == bindparam("sid"))
)


def resolve(portal: Portal, cookie: str | None) -> Session | None:
    """The live session behind a cookie, extending its rolling expiry at most once per `session_touch_s`.

    A session the database vouched for within `session_cache_s` is taken from `portal.session_cache`
    (expiry still checked here); only a miss, or a hit due for its touch, runs the query.
    """
    token = cookie_token(portal, cookie)
    if token is None:
        return None
    sid = token_id(token)
    now = portal.now()
    cached = portal.session_cache.get(sid)
    if (
        cached is not None
        and _live(now, cached.expires_at, cached.absolute_expires_at)
        and (now - cached.last_seen_at).total_seconds() < portal.settings.session_touch_s
    ):
        return cached.session
    generation = portal.session_cache.generation()
    with portal.engine.begin() as conn:
        row = conn.execute(_SESSION_AND_USER, {"sid": sid}).mappings().first()
        if row is None:
            return None
        if (
            row["revoked_at"] is not None
            or row["disabled_at"] is not None
            or not _live(now, row["expires_at"], row["absolute_expires_at"])
        ):
            return None
        last_seen, expires = row["last_seen_at"], row["expires_at"]
        if (now - last_seen).total_seconds() >= portal.settings.session_touch_s:
            last_seen = now
            expires = min(
                now + timedelta(seconds=portal.settings.session_rolling_s),
                row["absolute_expires_at"],
            )
            conn.execute(
                update(sessions)
                .where(sessions.c.id == sid)
                .values(last_seen_at=last_seen, expires_at=expires)
            )
    user = User(
        id=int(row["user_id"]),
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        locale=row["locale"],
        timezone=row["timezone"],
        disabled=False,
    )
    session = Session(sid, user)
    portal.session_cache.put(
        sid,
        Cached(session, user.id, last_seen, expires, row["absolute_expires_at"], time.monotonic()),
        generation,
    )
    return session


def _live(now: datetime, expires_at: datetime, absolute_at: datetime) -> bool:
    return expires_at > now and absolute_at > now


def revoke(portal: Portal, conn: Connection, session_id: str) -> None:
    portal.session_cache.forget(session_id)
    conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=portal.now())
    )


def revoke_all(portal: Portal, conn: Connection, user_id: int, *, keep: str | None = None) -> int:
    """Revoke every live session of a user (optionally but one); returns how many."""
    portal.session_cache.forget_user(user_id)
    query = update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    if keep is not None:
        query = query.where(sessions.c.id != keep)
    return int(conn.execute(query.values(revoked_at=portal.now())).rowcount)


def csrf_token(portal: Portal, binding: str) -> str:
    """The form token for a session id (logged in) or an anonymous cookie value (login and invite forms)."""
    key = portal.settings.session_secret.encode("utf-8")
    return hmac.new(key, b"csrf\x00" + binding.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(portal: Portal, binding: str | None, submitted: str | None) -> bool:
    if not binding or not submitted:
        return False
    return hmac.compare_digest(csrf_token(portal, binding), submitted)
