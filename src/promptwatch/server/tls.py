"""TLS for `promptwatch up` (P14): the operator's certificate and key, or a self-signed pair for local use,
generated once into <data_dir>/tls/ (EC P-256, SAN localhost and 127.0.0.1, one year)."""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

SELF_SIGNED_DAYS = 365


def self_signed_pair(data_dir: Path) -> tuple[Path, Path]:
    """(certificate, key) under <data_dir>/tls/, created on first use and reused afterwards."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(data_dir) / "tls"
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PromptWatch local")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_whole(key_path, pem, 0o600)
    _write_whole(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path


def _write_whole(path: Path, data: bytes, mode: int) -> None:
    """Written beside its place with its mode from the start (a key is never readable by others for a
    moment), then moved there: a reader, or a start after a crash, finds the whole file or none."""
    staged = path.with_name(f".{path.name}.partial")
    staged.unlink(missing_ok=True)
    with os.fdopen(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before it takes its place, power cut or not
    os.replace(staged, path)


def create_tls_app():
    """The app factory for several uvicorn workers serving TLS (so each sends HSTS)."""
    from .app import create_worker_app

    return create_worker_app(tls=True)
