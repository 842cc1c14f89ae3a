"""Phase 41: password hashing and column encryption for the portal.

Two small tools with one job each: `passwords` turns a password into an Argon2id hash that is useless without the
server's pepper, and `cipher` seals a database cell with AES-256-GCM so that a copied database file leaks neither
hashes nor audit details. `kdf` derives the cipher key from the operator's master key.
"""

from minivault.cipher import ColumnCipher, VaultError
from minivault.kdf import derive_key
from minivault.passwords import PRODUCTION_PARAMS, Argon2Params, PasswordHasher

__all__ = [
    "PRODUCTION_PARAMS",
    "Argon2Params",
    "ColumnCipher",
    "PasswordHasher",
    "VaultError",
    "derive_key",
]
