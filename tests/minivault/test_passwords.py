"""Argon2id with a pepper: the DESIGN.md costs, round trips, and the pepper's role."""

from __future__ import annotations

import argon2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minivault import PRODUCTION_PARAMS, Argon2Params, PasswordHasher

PEPPER = "pepper-" + "x" * 40
CHEAP = Argon2Params(memory_kib=64, time_cost=1, parallelism=1)


def test_production_costs_are_the_design_ones() -> None:
    """DESIGN.md §10: Argon2id, m = 64 MiB, t = 3, p = 2 (and 32-byte hashes, 16-byte salts)."""
    assert Argon2Params(memory_kib=65536, time_cost=3, parallelism=2) == PRODUCTION_PARAMS
    assert (PRODUCTION_PARAMS.hash_len, PRODUCTION_PARAMS.salt_len) == (32, 16)
    stored = PasswordHasher(PEPPER).hash("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    params = argon2.extract_parameters(stored)
    assert (params.memory_cost, params.time_cost, params.parallelism) == (65536, 3, 2)
    assert params.type is argon2.Type.ID


def test_round_trip_and_wrong_password() -> None:
    hasher = PasswordHasher(PEPPER, CHEAP)
    stored = hasher.hash("correct horse battery staple")
    assert hasher.verify(stored, "correct horse battery staple")
    assert not hasher.verify(stored, "correct horse battery stapl")
    assert hasher.hash("same") != hasher.hash("same")  # fresh salt each time


def test_the_pepper_is_needed_to_verify() -> None:
    stored = PasswordHasher(PEPPER, CHEAP).hash("correct horse battery staple")
    assert not PasswordHasher("another-" + "y" * 40, CHEAP).verify(
        stored, "correct horse battery staple"
    )
    # A plain Argon2id check of the bare password (what a thief without the pepper would try) fails too.
    plain = argon2.PasswordHasher(memory_cost=64, time_cost=1, parallelism=1)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        plain.verify(stored, "correct horse battery staple")


@pytest.mark.parametrize("garbage", ["", "not a hash", "$argon2id$v=19$m=64,t=1,p=1$broken"])
def test_malformed_hashes_verify_false_instead_of_raising(garbage: str) -> None:
    assert PasswordHasher(PEPPER, CHEAP).verify(garbage, "x") is False


def test_needs_rehash_follows_the_costs() -> None:
    stored = PasswordHasher(PEPPER, CHEAP).hash("pw")
    assert not PasswordHasher(PEPPER, CHEAP).needs_rehash(stored)
    assert PasswordHasher(
        PEPPER, Argon2Params(memory_kib=128, time_cost=1, parallelism=1)
    ).needs_rehash(stored)


@pytest.mark.parametrize(
    "kwargs",
    [{"memory_kib": 4}, {"time_cost": 0}, {"parallelism": 0}, {"hash_len": 8}, {"salt_len": 8}],
)
def test_unsafe_costs_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Argon2Params(**kwargs)


def test_short_pepper_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        PasswordHasher("short")


@settings(max_examples=25)
@given(st.text(max_size=80))
def test_any_unicode_password_round_trips(password: str) -> None:
    hasher = PasswordHasher(PEPPER, CHEAP)
    stored = hasher.hash(password)
    assert hasher.verify(stored, password)
    assert not hasher.verify(stored, password + "\x00")
