"""`promptwatch cleanup`: one cleanup cycle now (retention, purge of deleted data), with progress."""

from __future__ import annotations

from rich.console import Console

from .options import DataDir, open_runtime

console = Console(stderr=True)


def cleanup(data_dir: DataDir = None) -> None:
    """Run one cleanup cycle now: retention policies, expired sandboxes, and the physical purge of deleted data."""
    from promptwatch.server.services.cleanup import run_cleanup_cycle

    runtime = open_runtime(data_dir)
    with console.status("cleanup cycle") as status:

        def progress(step: str, count: int) -> None:
            status.update(f"cleanup cycle: {step}")
            console.print(f"  {step}: {count}")

        report = run_cleanup_cycle(runtime, progress=progress)
    seconds = (report.finished_at - report.started_at).total_seconds()
    console.print(
        f"cleanup done in {seconds:.1f}s: retention {report.retention or 'nothing'}, "
        f"expired sandboxes {report.expired_accounts}, receipts purged {report.receipts_purged}"
    )
