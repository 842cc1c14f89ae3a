"""Argon2id password hashing with a server-side pepper.

The pepper is mixed in with HMAC-SHA256 before Argon2id sees the password: a stolen database (hashes and salts)
cannot be attacked offline without the pepper, which lives only in the server's environment. HMAC also fixes the
input length, so a long password cannot make hashing slower. The cost parameters are memory-hard on purpose:
64 MiB per guess is what makes GPU cracking expensive.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PEPPER_BYTES = 32


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id costs. `memory_kib` is KiB (65536 = 64 MiB)."""

    memory_kib: int = 64 * 1024
    time_cost: int = 3
    parallelism: int = 2
    hash_len: int = 32
    salt_len: int = 16

    def __post_init__(self) -> None:
        if self.parallelism < 1 or self.time_cost < 1:
            raise ValueError("time_cost and parallelism must be >= 1")
        if self.memory_kib < 8 * self.parallelism:
            raise ValueError(f"memory_kib must be >= 8 * parallelism, got {self.memory_kib}")
        if self.hash_len < 16 or self.salt_len < 16:
            raise ValueError("hash_len and salt_len must be at least 16 bytes")


#: The DESIGN.md §10 costs: m = 64 MiB, t = 3, p = 2.
PRODUCTION_PARAMS = Argon2Params()


class PasswordHasher:
    """Hash and verify passwords; `verify` never raises on a wrong or malformed hash, it answers False."""

    def __init__(self, pepper: str | bytes, params: Argon2Params = PRODUCTION_PARAMS) -> None:
        key = pepper.encode("utf-8") if isinstance(pepper, str) else bytes(pepper)
        if len(key) < MIN_PEPPER_BYTES:
            raise ValueError(f"pepper must be at least {MIN_PEPPER_BYTES} bytes, got {len(key)}")
        self._pepper = key
        self.params = params
        self._hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=params.hash_len,
            salt_len=params.salt_len,
            type=argon2.Type.ID,
        )

    def _peppered(self, password: str) -> bytes:
        return hmac.new(self._pepper, password.encode("utf-8"), hashlib.sha256).digest()

    def hash(self, password: str) -> str:
        return self._hasher.hash(self._peppered(password))

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, self._peppered(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other costs (rehash it at the next successful login)."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend the time of one verify, so an unknown user costs what a wrong password costs."""
        self.verify(_DUMMY.get(self.params) or self._dummy(), password)

    def _dummy(self) -> str:
        value = self.hash("lynx-cortex-timing-equaliser")
        _DUMMY[self.params] = value
        return value


_DUMMY: dict[Argon2Params, str] = {}
