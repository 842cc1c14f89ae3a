"""AES-256-GCM for single database cells, bound to where the cell lives.

The associated data is (table, column, row id): a ciphertext copied into another row or column fails to decrypt
instead of silently granting, say, one user's password hash to another account. Stored layout:

    version (1 byte) | key id (4 bytes) | nonce (12 bytes) | ciphertext | tag (16 bytes)

The key id (a hash of the key, not the key) lets key rotation tell old cells from new ones and lets a decrypt
with the wrong key fail with a clear message rather than a bare authentication error.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from minivault.kdf import derive_key, key_id

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_BYTES = 4
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
PURPOSE = "portal-columns"


class VaultError(Exception):
    """A sealed cell that cannot be opened: wrong key, wrong place, or tampered bytes."""


def _associated_data(table: str, column: str, row_id: int | str) -> bytes:
    for name, value in (("table", table), ("column", column)):
        if not value or "\x1f" in value:
            raise ValueError(f"{name} must be a non-empty name without control characters")
    return f"{table}\x1f{column}\x1f{row_id}".encode()


class ColumnCipher:
    """Seal and open cells with a 256-bit key derived from the master key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError(f"AES-256 needs a 32-byte key, got {len(key)} bytes")
        self._aead = AESGCM(key)
        self.key_id = key_id(key, length=KEY_ID_BYTES)

    @classmethod
    def from_master_key(cls, master_key: str | bytes) -> ColumnCipher:
        return cls(derive_key(master_key, PURPOSE))

    def encrypt(self, plaintext: bytes, *, table: str, column: str, row_id: int | str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, _associated_data(table, column, row_id))
        return bytes([VERSION]) + self.key_id + nonce + sealed

    def decrypt(self, stored: bytes, *, table: str, column: str, row_id: int | str) -> bytes:
        where = f"{table}.{column} row {row_id}"
        if len(stored) < HEADER_BYTES + TAG_BYTES or stored[0] != VERSION:
            raise VaultError(f"{where}: not a vault cell (too short or unknown version)")
        if not self.owns(stored):
            raise VaultError(
                f"{where}: sealed under another key (rotate or set the right master key)"
            )
        nonce = stored[1 + KEY_ID_BYTES : HEADER_BYTES]
        try:
            return self._aead.decrypt(
                nonce, stored[HEADER_BYTES:], _associated_data(table, column, row_id)
            )
        except InvalidTag:
            raise VaultError(f"{where}: authentication failed (tampered or moved cell)") from None

    def owns(self, stored: bytes) -> bool:
        """Whether `stored` was sealed with this cipher's key."""
        return stored[1 : 1 + KEY_ID_BYTES] == self.key_id

    def encrypt_text(self, text: str, *, table: str, column: str, row_id: int | str) -> bytes:
        return self.encrypt(text.encode("utf-8"), table=table, column=column, row_id=row_id)

    def decrypt_text(self, stored: bytes, *, table: str, column: str, row_id: int | str) -> str:
        return self.decrypt(stored, table=table, column=column, row_id=row_id).decode("utf-8")
