"""Accounts: users, their sealed password hashes, and single-use invite links.

Nobody ever receives a password from the system: an account starts without one, and its owner chooses one on a
single-use invite link that expires after 24 hours. The link carries a random nonce signed by the server; the
database keeps only the nonce's SHA-256, so a leaked database cannot be turned into working links.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from itsdangerous import BadSignature
from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from miniportal import audit
from miniportal.db import LOCALES, ROLES, credentials, invites, sessions, users
from miniportal.errors import ForbiddenError, GoneError, PortalError
from miniportal.service import Portal

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MAX_PASSWORD_LEN = 1024


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    locale: str
    timezone: str
    disabled: bool

    @property
    def is_staff(self) -> bool:
        return self.role in ("teacher", "admin")

    @classmethod
    def from_row(cls, row: RowMapping) -> User:
        return cls(
            id=int(row["id"]),
            username=row["username"],
            display_name=row["display_name"],
            role=row["role"],
            locale=row["locale"],
            timezone=row["timezone"],
            disabled=row["disabled_at"] is not None,
        )


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):  # `match` with `$` would accept a trailing newline
        raise PortalError(
            "username must be 2-32 characters: a lowercase letter, then letters, digits, '.', '_' or '-'"
        )
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise PortalError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise PortalError(f"locale must be one of {', '.join(LOCALES)}, got {locale!r}")
    return locale


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PortalError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Madrid"
        ) from None
    return name


def check_new_password(portal: Portal, password: str, confirm: str) -> str:
    minimum = portal.settings.min_password_len
    if len(password) < minimum:
        raise PortalError(f"the password must be at least {minimum} characters long")
    if len(password) > MAX_PASSWORD_LEN:
        raise PortalError(f"the password must be at most {MAX_PASSWORD_LEN} characters long")
    if password != confirm:
        raise PortalError("the two passwords do not match")
    return password


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return User.from_row(row) if row is not None else None


def find_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return User.from_row(row) if row is not None else None


def last_logins(conn: Connection) -> dict[int, datetime | None]:
    rows = conn.execute(select(users.c.id, users.c.last_login_at)).all()
    return {int(user_id): when for user_id, when in rows}


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(select(users).order_by(users.c.username)).mappings().all()
    return [User.from_row(row) for row in rows]


def create_user(
    portal: Portal,
    conn: Connection,
    username: str,
    *,
    role: str = "student",
    actor_id: int | None = None,
    display_name: str | None = None,
) -> User:
    check_username(username)
    check_role(role)
    if find_user(conn, username) is not None:
        raise PortalError(f"user {username!r} already exists", status=409)
    try:
        user_id = conn.execute(
            insert(users)
            .values(
                username=username,
                display_name=display_name or username,
                role=role,
                locale="en",
                timezone="UTC",
                created_at=portal.now(),
            )
            .returning(users.c.id)
        ).scalar_one()
    except IntegrityError:
        raise PortalError(f"user {username!r} already exists", status=409) from None
    audit.record(portal, conn, "user.created", actor_id=actor_id, username=username, role=role)
    user = get_user(conn, int(user_id))
    assert user is not None  # noqa: S101  # just inserted in this transaction
    return user


def has_password(conn: Connection, user_id: int) -> bool:
    return (
        conn.execute(select(credentials.c.user_id).where(credentials.c.user_id == user_id)).first()
        is not None
    )


def seal_password(portal: Portal, user_id: int, password: str) -> bytes:
    """Argon2id + pepper, then AES-GCM bound to this user's row; slow, so call it outside transactions."""
    return portal.cipher.encrypt_text(
        portal.hasher.hash(password), table="credentials", column="password_hash", row_id=user_id
    )


def store_password(portal: Portal, conn: Connection, user_id: int, sealed: bytes) -> None:
    values = {"password_hash": sealed, "updated_at": portal.now()}
    done = conn.execute(
        update(credentials).where(credentials.c.user_id == user_id).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(credentials).values(user_id=user_id, **values))


def stored_hash(portal: Portal, conn: Connection, user_id: int) -> str | None:
    sealed = conn.execute(
        select(credentials.c.password_hash).where(credentials.c.user_id == user_id)
    ).scalar_one_or_none()
    if sealed is None:
        return None
    return portal.cipher.decrypt_text(
        sealed, table="credentials", column="password_hash", row_id=user_id
    )


def check_password(portal: Portal, conn: Connection, username: str, password: str) -> User | None:
    """The user if `password` is theirs and the account is active; None otherwise, in similar time."""
    user = find_user(conn, username)
    stored = stored_hash(portal, conn, user.id) if user is not None else None
    if user is None or stored is None or len(password) > MAX_PASSWORD_LEN:
        portal.hasher.burn(password[:MAX_PASSWORD_LEN])
        return None
    if not portal.hasher.verify(stored, password) or user.disabled:
        return None
    if portal.hasher.needs_rehash(stored):
        store_password(portal, conn, user.id, seal_password(portal, user.id, password))
    return user


def disable_user(portal: Portal, conn: Connection, user_id: int, *, actor_id: int | None) -> User:
    user = get_user(conn, user_id)
    if user is None:
        raise PortalError(f"no user with id {user_id}", status=404)
    now = portal.now()
    portal.session_cache.forget_user(user_id)
    conn.execute(update(users).where(users.c.id == user_id).values(disabled_at=now))
    conn.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    conn.execute(delete(invites).where(invites.c.user_id == user_id, invites.c.used_at.is_(None)))
    audit.record(portal, conn, "user.disabled", actor_id=actor_id, username=user.username)
    return user


# ------------------------------------------------------------------------------------------------ invites


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def issue_invite(portal: Portal, conn: Connection, user_id: int, *, actor_id: int | None) -> str:
    """A fresh invite URL for `user_id`; earlier unused invites of that user stop working."""
    user = get_user(conn, user_id)
    if user is None:
        raise PortalError(f"no user with id {user_id}", status=404)
    if user.disabled:
        raise PortalError(f"user {user.username!r} is disabled", status=409)
    now = portal.now()
    conn.execute(delete(invites).where(invites.c.user_id == user_id, invites.c.used_at.is_(None)))
    nonce = secrets.token_urlsafe(32)
    conn.execute(
        insert(invites).values(
            user_id=user_id,
            nonce_hash=_nonce_hash(nonce),
            created_by=actor_id,
            created_at=now,
            expires_at=now + timedelta(seconds=portal.settings.invite_ttl_s),
        )
    )
    audit.record(portal, conn, "invite.created", actor_id=actor_id, username=user.username)
    token = portal.signer("invite").dumps(nonce)
    return f"{portal.settings.base_url}/invite/{token}"


class InviteRejectedError(GoneError):
    """Used, expired, replaced or unknown; `reason` goes to the audit log, never to the visitor."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "this invite link has been used or has expired; ask your teacher for a new one"
        )
        self.reason = reason


@dataclass(frozen=True)
class Invite:
    id: int
    user: User
    expires_at: datetime


def open_invite(portal: Portal, conn: Connection, token: str) -> Invite:
    """The live invite behind `token`: 403 if forged, 410 if used, expired or replaced."""
    try:
        nonce = portal.signer("invite").loads(token)
    except BadSignature:
        raise ForbiddenError(
            "this invite link is not valid (it was altered or never issued)"
        ) from None
    if not isinstance(nonce, str):
        raise ForbiddenError("this invite link is not valid (it was altered or never issued)")
    row = (
        conn.execute(select(invites).where(invites.c.nonce_hash == _nonce_hash(nonce)))
        .mappings()
        .first()
    )
    if row is None or row["used_at"] is not None or row["expires_at"] <= portal.now():
        reason = "unknown" if row is None else "used" if row["used_at"] is not None else "expired"
        raise InviteRejectedError(reason)
    user = get_user(conn, int(row["user_id"]))
    if user is None or user.disabled:
        raise InviteRejectedError("disabled")
    return Invite(int(row["id"]), user, row["expires_at"])


def redeem_invite(
    portal: Portal, conn: Connection, token: str, sealed: bytes, *, ip: str | None
) -> User:
    """Store the (already sealed) password, burn the invite and end every earlier session of the user, in one
    transaction; a second try gets 410.

    A re-invite is how an admin recovers an account whose password is lost or known to someone else, so the
    sessions opened with the old password must not outlive it (as with a password change on /me). The caller
    checks the password and seals it first (`check_new_password`, `seal_password`), outside the transaction, so
    the slow Argon2 hash never holds a database write lock.
    """
    invite = open_invite(portal, conn, token)
    claimed = conn.execute(
        update(invites)
        .where(invites.c.id == invite.id, invites.c.used_at.is_(None))
        .values(used_at=portal.now())
    )
    if claimed.rowcount != 1:
        raise InviteRejectedError("used")
    store_password(portal, conn, invite.user.id, sealed)
    portal.session_cache.forget_user(invite.user.id)
    revoked = conn.execute(
        update(sessions)
        .where(sessions.c.user_id == invite.user.id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=portal.now())
    ).rowcount
    audit.record(
        portal, conn, "invite.redeemed", actor_id=invite.user.id, ip=ip, revoked=int(revoked)
    )
    return invite.user


def update_profile(
    portal: Portal,
    conn: Connection,
    user_id: int,
    *,
    display_name: str | None = None,
    locale: str | None = None,
    timezone: str | None = None,
) -> None:
    values: dict[str, str] = {}
    if display_name is not None:
        name = " ".join(display_name.split())
        if not 1 <= len(name) <= 80:
            raise PortalError("display name must be 1-80 characters")
        values["display_name"] = name
    if locale is not None:
        values["locale"] = check_locale(locale)
    if timezone is not None:
        values["timezone"] = check_timezone(timezone)
    if values:
        portal.session_cache.forget_user(user_id)  # sessions carry the user's name and locale
        conn.execute(update(users).where(users.c.id == user_id).values(**values))
        audit.record(portal, conn, "user.updated", actor_id=user_id, fields=sorted(values))
