"""P14: the self-signed pair is written whole, with the key readable by its owner alone from the start, and
a file left half-written by a crash is never mistaken for a pair."""

from __future__ import annotations

import os
import stat

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from promptwatch.server import tls


def test_p14_the_pair_is_written_whole_with_the_key_private(tmp_path, monkeypatch):
    modes = []
    real_replace = tls.os.replace

    def watching(src, dst):  # the mode each file has before it takes its place
        modes.append((dst.name, stat.S_IMODE(src.stat().st_mode)))
        real_replace(src, dst)

    monkeypatch.setattr(tls.os, "replace", watching)
    cert_path, key_path = tls.self_signed_pair(tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert modes == [("key.pem", 0o600 & ~umask), ("cert.pem", 0o644 & ~umask)]
    assert sorted(p.name for p in (tmp_path / "tls").iterdir()) == ["cert.pem", "key.pem"]
    x509.load_pem_x509_certificate(cert_path.read_bytes())
    load_pem_private_key(key_path.read_bytes(), password=None)


def test_p14_a_partial_file_left_by_a_crash_is_written_again(tmp_path):
    folder = tmp_path / "tls"
    folder.mkdir()
    (folder / ".key.pem.partial").write_bytes(b"-----BEGIN")
    (folder / "key.pem").write_bytes(b"not whole")  # no cert: not a pair, so both are made anew
    cert_path, key_path = tls.self_signed_pair(tmp_path)
    load_pem_private_key(key_path.read_bytes(), password=None)
    x509.load_pem_x509_certificate(cert_path.read_bytes())
