"""AES-256-GCM cells: round trips, binding to (table, column, row), tamper detection, and key derivation."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from minivault import ColumnCipher, VaultError, derive_key
from minivault.cipher import HEADER_BYTES, NONCE_BYTES, TAG_BYTES

MASTER = "m" * 40
WHERE: dict[str, Any] = {"table": "credentials", "column": "password_hash", "row_id": 7}


@given(st.binary(max_size=512), st.integers(min_value=0, max_value=2**62))
def test_round_trip(plain: bytes, row_id: int) -> None:
    cipher = ColumnCipher.from_master_key(MASTER)
    sealed = cipher.encrypt(plain, table="t", column="c", row_id=row_id)
    assert len(sealed) == HEADER_BYTES + len(plain) + TAG_BYTES
    assert cipher.decrypt(sealed, table="t", column="c", row_id=row_id) == plain


def test_layout_matches_an_independent_aes_gcm_decrypt() -> None:
    """Oracle: rebuild the key with HKDF by hand and open the cell with the raw AESGCM primitive."""
    sealed = ColumnCipher.from_master_key(MASTER).encrypt(b"$argon2id$...", **WHERE)
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"lynx-cortex/minivault/v1",
        info=b"portal-columns",
    ).derive(MASTER.encode())
    nonce = sealed[5 : 5 + NONCE_BYTES]
    opened = AESGCM(key).decrypt(nonce, sealed[HEADER_BYTES:], b"credentials\x1fpassword_hash\x1f7")
    assert opened == b"$argon2id$..."
    assert sealed[0] == 1


def test_same_plaintext_never_gives_the_same_cell() -> None:
    cipher = ColumnCipher.from_master_key(MASTER)
    cells = {cipher.encrypt(b"same", **WHERE) for _ in range(50)}
    assert len(cells) == 50


@pytest.mark.parametrize(
    "moved",
    [
        {"table": "audit_log", "column": "password_hash", "row_id": 7},
        {"table": "credentials", "column": "details", "row_id": 7},
        {"table": "credentials", "column": "password_hash", "row_id": 8},
    ],
)
def test_a_cell_moved_elsewhere_does_not_open(moved: dict[str, Any]) -> None:
    cipher = ColumnCipher.from_master_key(MASTER)
    sealed = cipher.encrypt(b"secret", **WHERE)
    with pytest.raises(VaultError, match="authentication failed"):
        cipher.decrypt(sealed, **moved)


def test_any_flipped_bit_is_detected() -> None:
    cipher = ColumnCipher.from_master_key(MASTER)
    sealed = cipher.encrypt(b"secret payload", **WHERE)
    for index in range(len(sealed)):
        broken = bytearray(sealed)
        broken[index] ^= 0x01
        with pytest.raises(VaultError):
            cipher.decrypt(bytes(broken), **WHERE)


def test_another_key_is_named_as_the_problem() -> None:
    sealed = ColumnCipher.from_master_key(MASTER).encrypt(b"x", **WHERE)
    other = ColumnCipher.from_master_key("n" * 40)
    assert not other.owns(sealed)
    with pytest.raises(VaultError, match="another key"):
        other.decrypt(sealed, **WHERE)
    with pytest.raises(VaultError, match="not a vault cell"):
        other.decrypt(b"short", **WHERE)


def test_key_derivation_separates_purposes_and_refuses_weak_masters() -> None:
    assert derive_key(MASTER, "a") == derive_key(MASTER.encode(), "a")
    assert derive_key(MASTER, "a") != derive_key(MASTER, "b")
    assert derive_key(MASTER, "a") != derive_key("n" * 40, "a")
    assert len(derive_key(MASTER, "a")) == 32
    with pytest.raises(ValueError, match="at least 32 bytes"):
        derive_key("short", "a")
    with pytest.raises(ValueError, match="purpose"):
        derive_key(MASTER, "")
    with pytest.raises(ValueError, match="32-byte key"):
        ColumnCipher(b"k" * 16)
