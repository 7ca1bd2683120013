"""Sealing the API keys of customers' LLM providers: AES-256-GCM under the instance's provider key, which
lives in the keys directory (outside the database and its backups), with the account and config name as
associated data so a sealed value cannot be moved to another account or config. A sealed key is never
returned by the API and never exported."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import Conflict
from ..settings import Settings

KEY_FILE = "provider-secrets.key"
_NONCE = 12


def _key_path(settings: Settings) -> Path:
    keys_path = getattr(settings, "keys_path", None)
    directory = keys_path() if callable(keys_path) else Path(settings.data_dir) / "keys"
    return Path(directory) / KEY_FILE


def load_or_create_key(settings: Settings) -> bytes:
    path = _key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(32).hex().encode())
        finally:
            os.close(fd)
    return bytes.fromhex(path.read_text().strip())


class ProviderSecrets:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._key: bytes | None = None

    def _aead(self) -> AESGCM:
        if self._key is None:
            self._key = load_or_create_key(self._settings)
        return AESGCM(self._key)

    def seal(self, account_id: int, name: str, secret: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead().encrypt(nonce, secret.encode(), f"{account_id}:{name}".encode())

    def open(self, account_id: int, name: str, sealed: bytes) -> str:
        try:
            plain = self._aead().decrypt(sealed[:_NONCE], sealed[_NONCE:], f"{account_id}:{name}".encode())
        except (InvalidTag, ValueError):
            raise Conflict(
                f"the API key of provider {name!r} cannot be opened with this instance's key; set it again"
            ) from None
        return plain.decode()
