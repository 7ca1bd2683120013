"""`promptwatch up`: start the server; the first run creates the schema, an account, its owner and a key.
The process holds the store's shared lock from before it touches the store until it ends, so commands that
rewrite the store refuse while it runs (`store_lock`). Listening on one address, it tells the server that
address (`served_url`), the base of links in mail when PROMPTWATCH_PUBLIC_URL is unset. Its log, uvicorn's
too, is configured from the settings (`log_format`) before anything else is done; with scheduled backups on,
the backup directory must be one it can write, or it stops first. With `--workers N`, each worker process ends
with `up` (`die_with_parent`), even when `up` is killed outright."""

from __future__ import annotations

import ctypes
import ipaddress
import logging.config
import multiprocessing
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from .errors import CommandError
from .options import DataDir, load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from promptwatch.server.settings import Settings

DEFAULT_PORT = 8765
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
log = logging.getLogger("promptwatch.up")
console = Console(stderr=True, soft_wrap=True)


def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    data_dir: DataDir = None,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only; SQLite uses one).")] = 1,
    owner_email: Annotated[
        str, typer.Option(help="E-mail of the first account's owner (first run).")
    ] = "owner@localhost",
    tls_cert: Annotated[Path | None, typer.Option(help="Serve HTTPS with this certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The private key of --tls-cert (PEM).")] = None,
    tls_self_signed: Annotated[
        bool,
        typer.Option(
            "--tls-self-signed", help="Serve HTTPS with a self-signed certificate made once in <data dir>/tls/."
        ),
    ] = False,
) -> None:
    """Start PromptWatch (embedded SQLite unless PROMPTWATCH_DATABASE_URL names PostgreSQL)."""
    if bool(tls_cert) != bool(tls_key):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    if workers < 1:
        raise typer.BadParameter(f"{workers} is not a number of processes: at least 1", param_hint="--workers")
    _check_port_free(host, port)
    _check_tls_files(tls_cert, tls_key)
    import uvicorn  # the server is imported once the port is known free: a taken one is said at once

    # prometheus_client picks its mode from this variable when first imported: only the directory `up` makes for
    # several workers counts, never one inherited from the shell (a stale one would add old runs' counts)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from promptwatch.server.app import create_app
    from promptwatch.server.collector import tune_for_serving
    from promptwatch.server.log_format import log_config
    from promptwatch.server.services.accounts import AccountService
    from promptwatch.server.services.backups import check_backup_dir
    from promptwatch.server.services.runtime import Runtime
    from promptwatch.server.services.store_lock import serving
    from promptwatch.server.settings import resolve_database_url
    from promptwatch.server.store.engine import make_engine
    from promptwatch.server.store.schema_version import ensure_current
    from promptwatch.server.tls import self_signed_pair

    settings = load_settings(data_dir)
    logging_config = log_config(settings)
    logging.config.dictConfig(logging_config)
    if settings.backup_interval_hours:
        check_backup_dir(settings)
    logs = {"log_config": logging_config, "log_level": settings.log_level, "access_log": False}
    with serving(settings):  # until the server stops
        if tls_self_signed and not tls_cert:
            tls_cert, tls_key = self_signed_pair(settings.data_dir)
        ssl = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls_cert else {}
        url = served_url(host, port, tls=bool(ssl))
        settings = serving_settings(settings, host, url)
        engine = make_engine(resolve_database_url(settings), settings.database_connect_timeout_seconds)
        ensure_current(engine, create_if_empty=True)
        first = AccountService(Runtime.build(settings, engine)).bootstrap_first_run(owner_email)
        if first is not None:
            console.print("[bold]PromptWatch is set up.[/bold] Shown once, keep them safe:")
            console.print(f"  owner:    {first.owner_email}  password: {first.owner_password}")
            console.print(f"  API key:  {first.api_key}")
            console.print(f"  export PROMPTWATCH_HOST_URL={url} PROMPTWATCH_API_KEY={first.api_key}")
            console.print(
                f"  password lost later? promptwatch users reset-password {first.owner_email} "
                f"--data-dir {Path(settings.data_dir).absolute()}"
            )
        engine.dispose()
        console.print(f"PromptWatch at {url}  (data: {Path(settings.data_dir)})")
        if workers > 1 and engine.dialect.name == "sqlite":
            console.print("[yellow]SQLite serves from one process; starting one worker[/yellow]")
            workers = 1
        if workers > 1:  # each worker process builds its app from the environment
            os.environ.update(worker_environment(settings))
            from promptwatch.server.telemetry import workers_share_metrics

            workers_share_metrics()  # before they start: /metrics of each adds up every worker's
            uvicorn.run(
                "promptwatch.cli.up:tls_worker_app" if ssl else "promptwatch.cli.up:worker_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                **logs,
                **ssl,
            )
        else:
            app = create_app(settings, tls=bool(ssl))
            tune_for_serving()
            uvicorn.run(app, host=host, port=port, **logs, **ssl)


def served_url(host: str, port: int, tls: bool) -> str:
    """The URL of `host:port` (an IPv6 address in brackets)."""
    name = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{name}:{port}"


def serving_settings(settings: Settings, host: str, url: str) -> Settings:
    """`settings` with `served_url` = `url` when `host` is one address, not every one (`0.0.0.0`, `::`, empty),
    whose URL then says nothing of where people reach the server. It is a default for links in mail only: an
    operator's PROMPTWATCH_PUBLIC_URL comes first, and links answered to a request take its address."""
    try:
        one_address = not ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name, such as localhost
        one_address = bool(host)
    return settings.model_copy(update={"served_url": url}) if one_address else settings


def worker_environment(settings: Settings) -> dict[str, str]:
    """What each worker process of `--workers N` needs in its environment, besides the operator's, to build the
    same settings: the data directory and the served address."""
    env = {"PROMPTWATCH_DATA_DIR": str(settings.data_dir)}
    if settings.served_url:
        env["PROMPTWATCH_SERVED_URL"] = settings.served_url
    return env


def worker_app() -> FastAPI:
    """The app factory of each worker process of `--workers N`: the process first ties its life to `up`'s."""
    _die_with_up()
    from promptwatch.server.app import create_worker_app

    return create_worker_app()


def tls_worker_app() -> FastAPI:
    """`worker_app` serving TLS (so each sends HSTS)."""
    _die_with_up()
    from promptwatch.server.tls import create_tls_app

    return create_tls_app()


def _die_with_up() -> None:
    """uvicorn starts the workers with multiprocessing, which tells each the pid of the process that started it."""
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        die_with_parent(parent.pid)


def die_with_parent(parent_pid: int) -> None:
    """On Linux, have the kernel send this process SIGTERM (a clean stop, as `up` gives its workers) when the
    process `parent_pid` that started it ends, killed outright included: otherwise a worker outlives a killed
    `up` and keeps serving its port. A parent that ended before this took effect left this process to another
    parent already, and no signal would come: the process then stops at once (SystemExit). Elsewhere, nothing.

    The signal follows the thread that started the process: uvicorn starts and restarts its workers from its
    main thread, which lives as long as `up`."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("this worker may outlive promptwatch up: prctl failed (%s)", os.strerror(ctypes.get_errno()))
        return
    if os.getppid() != parent_pid:
        log.warning("promptwatch up (pid %d) ended while this worker started; stopping", parent_pid)
        raise SystemExit(1)


def _check_port_free(host: str, port: int) -> None:
    """Bind the address once before anything is created, so that a taken port fails before a first run
    makes the store and prints its one-time credentials (the server binds it again, as uvicorn does)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandError(
                f"cannot listen on {host}:{port}: {reason}; stop what uses it or pass another --port"
            ) from None


def _check_tls_files(cert: Path | None, key: Path | None) -> None:
    """Load the certificate with its key once before anything is created, so that a wrong path, a key of
    another certificate or an encrypted key fails before a first run makes the store and prints its one-time
    credentials (the server would ask for a key's password on the terminal, once per worker)."""
    if cert is None or key is None:
        return
    import ssl

    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        try:
            path.open("rb").close()
        except OSError as exc:
            raise CommandError(f"{option} {path}: {exc.strerror or exc}") from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as exc:
        raise CommandError(
            f"--tls-cert {cert} with --tls-key {key} is not a PEM certificate and its unencrypted private key "
            f"({exc.reason or exc})"
        ) from None
