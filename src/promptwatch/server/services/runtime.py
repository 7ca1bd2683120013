"""The parts every service shares, built once by `create_app`: engine, settings, price book, writer,
key and password services, the deletion ledger, the cache's lookup counts. Passed explicitly; nothing here
is a module-level singleton."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ..settings import Settings
from ..store.price_overrides import list_overrides
from .cache_tally import CacheTally
from .credentials import KeyService, PasswordService
from .encryption import AccountCrypto
from .ledger import DeletionLedger
from .pipeline import IngestPipeline
from .pricing import PriceBook, PriceOverride

_OVERRIDE_CACHE_SECONDS = 30.0


def instance_secret(settings: Settings) -> bytes:
    """The secret that keys API-key hashes and the ledger's hashes: from the settings, or generated once
    into the keys dir."""
    if settings.instance_secret:
        return settings.instance_secret.encode()
    path = settings.keys_path() / "instance.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    pricebook: PriceBook
    keys: KeyService
    passwords: PasswordService
    crypto: AccountCrypto
    pipeline: IngestPipeline
    ledger: DeletionLedger
    cache_tally: CacheTally
    _overrides: dict[int, tuple[float, tuple[PriceOverride, ...]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> Runtime:
        secret = instance_secret(settings)
        ledger = DeletionLedger(settings.deletion_ledger_path(), secret)
        return cls(
            settings=settings,
            engine=engine,
            pricebook=PriceBook(),
            keys=KeyService(engine, secret, settings.api_key_cache_seconds, ledger),
            passwords=PasswordService(settings.password_time_cost, settings.password_memory_cost),
            crypto=(crypto := AccountCrypto(settings.keys_path())),
            pipeline=IngestPipeline(crypto),
            ledger=ledger,
            cache_tally=CacheTally(engine, ledger.hash),
        )

    def price_overrides(self, account_id: int) -> Sequence[PriceOverride]:
        now = time.monotonic()
        with self._lock:
            hit = self._overrides.get(account_id)
        if hit is not None and now - hit[0] < _OVERRIDE_CACHE_SECONDS:
            return hit[1]
        with self.engine.connect() as conn:
            loaded = tuple(
                PriceOverride(r["id"], r["model"], r["input_per_mtok"], r["output_per_mtok"], r["effective_from"])
                for r in list_overrides(conn, account_id)
            )
        with self._lock:
            self._overrides[account_id] = (now, loaded)
        return loaded

    def forget_overrides(self, account_id: int) -> None:
        with self._lock:
            self._overrides.pop(account_id, None)
