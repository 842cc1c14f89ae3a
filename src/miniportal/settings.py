"""Portal settings: every knob is an `LYNX_PORTAL_*` environment variable, checked once at start-up.

Secrets (session secret, pepper, master key) never have defaults: a portal that starts with a guessable secret is
worse than one that refuses to start. `lynx up` generates development secrets into `var/secrets.env` instead.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir, docs_dir, project_root
from minivault import PRODUCTION_PARAMS, Argon2Params
from minivault.kdf import MIN_MASTER_KEY_BYTES
from minivault.passwords import MIN_PEPPER_BYTES

PREFIX = "LYNX_PORTAL_"
SECRET_NAMES = ("SESSION_SECRET", "PEPPER", "MASTER_KEY")
MIN_SESSION_SECRET_BYTES = 32


def default_argon2_slots() -> int:
    """Two concurrent Argon2 checks per core this process may use: enough to keep the cores busy while one
    request waits on the database, few enough that memory stays at a few times 64 MiB."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 2 * max(1, cores)


def default_database_url() -> str:
    return f"sqlite:///{project_root() / 'var' / 'portal.db'}"


def normalize_database_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we ship), not SQLAlchemy's psycopg2 default."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise LynxError(
            f"{PREFIX}DATABASE_URL must be sqlite:///PATH or postgresql://..., got {url.split(':')[0]!r}"
        )
    return url


@dataclass(frozen=True)
class PortalSettings:
    """Everything the app factory needs; tests build one directly with cheap Argon2 costs.

    The three secrets are left out of `repr()` (and so of `str()`, logs and tracebacks that print the object).
    """

    session_secret: str = field(repr=False)
    pepper: str = field(repr=False)
    master_key: str = field(repr=False)
    database_url: str = field(default_factory=default_database_url)
    base_url: str = "http://127.0.0.1:8000"
    docs_dir: Path = field(default_factory=docs_dir)
    quizzes_dir: Path = field(default_factory=lambda: data_dir() / "quizzes")
    exams_dir: Path = field(default_factory=lambda: data_dir() / "exams")
    review_daily_cap: int = 30
    argon2: Argon2Params = PRODUCTION_PARAMS
    invite_ttl_s: int = 24 * 3600
    session_rolling_s: int = 30 * 24 * 3600
    session_absolute_s: int = 90 * 24 * 3600
    session_touch_s: int = 3600
    session_cache_s: int = (
        10  # remember a validated session this long per process (`miniportal.sessioncache`)
    )
    max_body_bytes: int = 64 * 1024
    login_limit_per_user: int = 5
    login_limit_per_ip: int = 20
    login_window_s: int = 300
    min_password_len: int = 12
    argon2_slots: int = field(default_factory=default_argon2_slots)
    argon2_queue: int | None = None  # waiting logins beyond the slots; None = 4 per slot
    argon2_wait_s: float = 2.0
    trusted_proxies: tuple[str, ...] = ()
    stale_days: int = 7  # the dashboard marks a learner with no activity for this many days
    tutor_url: str | None = (
        None  # the tutor service (`lynx serve`); None: "Ask the tutor" says it is not connected
    )
    tutor_timeout_s: float = 5.0
    #: `/metrics` answers `Authorization: Bearer <this>` only; None: the page does not exist (404)
    metrics_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        checks = (
            ("SESSION_SECRET", self.session_secret, MIN_SESSION_SECRET_BYTES),
            ("PEPPER", self.pepper, MIN_PEPPER_BYTES),
            ("MASTER_KEY", self.master_key, MIN_MASTER_KEY_BYTES),
        )
        for name, value, minimum in checks:
            if len(value.encode("utf-8")) < minimum:
                raise LynxError(
                    f"{PREFIX}{name} must be at least {minimum} bytes of random text "
                    f"(got {len(value.encode('utf-8'))}); `lynx up` generates one into var/secrets.env"
                )
        if not self.base_url.startswith(("http://", "https://")):
            raise LynxError(
                f"{PREFIX}BASE_URL must start with http:// or https://, got {self.base_url!r}"
            )
        object.__setattr__(self, "database_url", normalize_database_url(self.database_url))
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "trusted_proxies", parse_trusted_proxies(self.trusted_proxies))
        if self.tutor_url is not None:
            if not self.tutor_url.startswith(("http://", "https://")):
                raise LynxError(
                    f"{PREFIX}TUTOR_URL must start with http:// or https://, got {self.tutor_url!r}"
                )
            object.__setattr__(self, "tutor_url", self.tutor_url.rstrip("/"))
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise LynxError(f"{PREFIX}METRICS_TOKEN must be at least 16 characters")
        if not self.tutor_timeout_s > 0:
            raise LynxError(
                f"{PREFIX}TUTOR_TIMEOUT_MS must be > 0, got {self.tutor_timeout_s * 1000}"
            )
        if self.argon2_slots < 1:
            raise LynxError(f"{PREFIX}ARGON2_SLOTS must be >= 1, got {self.argon2_slots}")

    @property
    def argon2_waiting(self) -> int:
        """How many logins may queue for an Argon2 slot (4 per slot unless set)."""
        return 4 * self.argon2_slots if self.argon2_queue is None else self.argon2_queue

    @property
    def secure_cookies(self) -> bool:
        """Cookies get `Secure` whenever the public address is https (behind Caddy, say)."""
        return self.base_url.startswith("https://")

    def with_(self, **changes: object) -> PortalSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


def parse_trusted_proxies(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """Addresses or networks (`127.0.0.1`, `10.0.0.0/8`) whose X-Forwarded-For the server believes.

    Empty by default: without a proxy in front, any client could otherwise claim any address and escape the
    per-address login limit. `*` is refused for the same reason."""
    items = value.split(",") if isinstance(value, str) else list(value)
    cleaned: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise LynxError(
                f"{PREFIX}TRUSTED_PROXIES: {item!r} is not an IP address or network "
                "(list the proxy's addresses, e.g. 127.0.0.1 for a Caddy on the same host)"
            ) from None
    return tuple(cleaned)


def check_private(path: Path) -> None:
    """Refuse a secrets file that anyone but its owner can read (the check `lynx up`, `serve`, `migrate` and
    every other command that reads `var/secrets.env` share)."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise LynxError(f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")


def read_secrets_file(path: Path) -> dict[str, str]:
    """`read_env_file` after `check_private`."""
    check_private(path)
    return read_env_file(path)


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines; blank lines and `#` comments ignored (the format `lynx up` writes)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            raise LynxError(f"{path}:{number}: expected KEY=value")
        values[key.strip()] = value.strip()
    return values


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise LynxError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise LynxError(f"{PREFIX}{name} must be >= {minimum}, got {value}")
    return value


def settings_from_env(
    environ: Mapping[str, str] | None = None, *, secrets_file: Path | None = None
) -> PortalSettings:
    """Read `LYNX_PORTAL_*`; secrets missing from the environment may come from `secrets_file`."""
    env = dict(os.environ if environ is None else environ)
    if secrets_file is not None and secrets_file.is_file():
        for key, value in read_secrets_file(secrets_file).items():
            env.setdefault(key, value)
    missing = [PREFIX + name for name in SECRET_NAMES if not env.get(PREFIX + name)]
    if missing:
        raise LynxError(
            f"missing {', '.join(missing)}; set them in the environment or run `lynx up` once "
            "to generate development secrets into var/secrets.env"
        )
    optional: dict[str, object] = {}
    if env.get(PREFIX + "DATABASE_URL"):
        optional["database_url"] = env[PREFIX + "DATABASE_URL"]
    if env.get(PREFIX + "BASE_URL"):
        optional["base_url"] = env[PREFIX + "BASE_URL"]
    if env.get(PREFIX + "DOCS_DIR"):
        optional["docs_dir"] = Path(env[PREFIX + "DOCS_DIR"])
    if env.get(PREFIX + "QUIZZES_DIR"):
        optional["quizzes_dir"] = Path(env[PREFIX + "QUIZZES_DIR"])
    if env.get(PREFIX + "EXAMS_DIR"):
        optional["exams_dir"] = Path(env[PREFIX + "EXAMS_DIR"])
    if env.get(PREFIX + "METRICS_TOKEN"):
        optional["metrics_token"] = env[PREFIX + "METRICS_TOKEN"]
    if env.get(PREFIX + "TUTOR_URL"):
        optional["tutor_url"] = env[PREFIX + "TUTOR_URL"]
    return PortalSettings(
        session_secret=env[PREFIX + "SESSION_SECRET"],
        pepper=env[PREFIX + "PEPPER"],
        master_key=env[PREFIX + "MASTER_KEY"],
        invite_ttl_s=_int(env, "INVITE_TTL_S", 24 * 3600, 60),
        login_limit_per_user=_int(env, "LOGIN_LIMIT_PER_USER", 5, 1),
        login_limit_per_ip=_int(env, "LOGIN_LIMIT_PER_IP", 20, 1),
        review_daily_cap=_int(env, "REVIEW_DAILY_CAP", 30, 1),
        argon2_slots=_int(env, "ARGON2_SLOTS", default_argon2_slots(), 1),
        argon2_queue=queue if (queue := _int(env, "ARGON2_QUEUE", -1, 0)) >= 0 else None,
        argon2_wait_s=_int(env, "ARGON2_WAIT_MS", 2000, 0) / 1000.0,
        session_cache_s=_int(env, "SESSION_CACHE_S", 10, 0),
        stale_days=_int(env, "STALE_DAYS", 7, 1),
        trusted_proxies=parse_trusted_proxies(env.get(PREFIX + "TRUSTED_PROXIES", "")),
        tutor_timeout_s=_int(env, "TUTOR_TIMEOUT_MS", 5000, 1) / 1000.0,
        **optional,  # type: ignore[arg-type]
    )
