"""Encryption at rest of activity payloads (P15, better than the policy): a data key per account, AES-GCM.

The account keys are wrapped by the instance master key; both live in the keys directory, outside the
database and outside the backups. Deleting an account destroys its key file, so every remaining copy of
its payloads — in backups too — can no longer be read (crypto-shredding). An account whose key file
exists encrypts every payload written from then on; older plaintext payloads stay readable.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import Gone
from ..store.bodies import ENCRYPTED_MARKER, is_encrypted

NONCE = 12


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


class AccountCrypto:
    def __init__(self, keys_dir: Path) -> None:
        self._dir = Path(keys_dir)
        self._keys: dict[int, AESGCM | None] = {}
        self._lock = threading.Lock()

    # the master key
    @property
    def _master_path(self) -> Path:
        return self._dir / "master.key"

    def _master(self) -> AESGCM:
        if not self._master_path.exists():
            _write_private(self._master_path, AESGCM.generate_key(bit_length=256))
        return AESGCM(self._master_path.read_bytes())

    def _account_path(self, account_id: int) -> Path:
        return self._dir / "accounts" / f"{int(account_id)}.key"

    def _aad(self, account_id: int) -> bytes:
        return f"promptwatch-account:{int(account_id)}".encode()

    # account keys
    def enable(self, account_id: int) -> None:
        """Give the account a data key: payloads written from now on are encrypted."""
        path = self._account_path(account_id)
        if path.exists():
            return
        nonce = secrets.token_bytes(NONCE)
        wrapped = self._master().encrypt(nonce, AESGCM.generate_key(bit_length=256), self._aad(account_id))
        _write_private(path, nonce + wrapped)
        self.forget(account_id)

    def destroy(self, account_id: int) -> bool:
        """Crypto-shred: delete the account's key; every copy of its encrypted payloads becomes unreadable."""
        path = self._account_path(account_id)
        existed = path.exists()
        if existed:
            size = path.stat().st_size
            with open(path, "r+b") as handle:  # overwrite before unlinking
                handle.write(b"\0" * size)
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
        self.forget(account_id)
        return existed

    def rotate_master(self) -> int:
        """Re-wrap every account key under a new master key; returns how many were re-wrapped."""
        old = self._master()
        new_key = AESGCM.generate_key(bit_length=256)
        new = AESGCM(new_key)
        rewrapped = []
        for path in sorted((self._dir / "accounts").glob("*.key")):
            account_id = int(path.stem)
            blob = path.read_bytes()
            key = old.decrypt(blob[:NONCE], blob[NONCE:], self._aad(account_id))
            nonce = secrets.token_bytes(NONCE)
            rewrapped.append((path, nonce + new.encrypt(nonce, key, self._aad(account_id))))
        _write_private(self._dir / "master.key.new", new_key)
        for path, blob in rewrapped:
            _write_private(path, blob)
        (self._dir / "master.key.new").replace(self._master_path)
        with self._lock:
            self._keys.clear()
        return len(rewrapped)

    def forget(self, account_id: int) -> None:
        with self._lock:
            self._keys.pop(account_id, None)

    def _key(self, account_id: int) -> AESGCM | None:
        with self._lock:
            if account_id in self._keys:
                return self._keys[account_id]
        path = self._account_path(account_id)
        key = None
        if path.exists():
            blob = path.read_bytes()
            key = AESGCM(self._master().decrypt(blob[:NONCE], blob[NONCE:], self._aad(account_id)))
        with self._lock:
            self._keys[account_id] = key
        return key

    def encrypts(self, account_id: int) -> bool:
        return self._key(account_id) is not None

    # payloads
    def seal_body(self, account_id: int, blob: bytes) -> bytes:
        key = self._key(account_id)
        if key is None:
            return blob
        nonce = secrets.token_bytes(NONCE)
        return ENCRYPTED_MARKER + nonce + key.encrypt(nonce, blob, self._aad(account_id))

    def open_body(self, account_id: int, blob: bytes) -> bytes:
        blob = bytes(blob)
        if not is_encrypted(blob):
            return blob
        key = self._key(account_id)
        if key is None:
            raise Gone("this payload's encryption key was destroyed; it can never be read again")
        try:
            return key.decrypt(blob[1 : 1 + NONCE], blob[1 + NONCE :], self._aad(account_id))
        except InvalidTag:
            raise Gone("this payload cannot be decrypted with the account's key") from None
