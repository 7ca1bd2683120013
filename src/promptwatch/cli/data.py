"""`promptwatch backup|restore|export|import`: the data lifecycle from the command line, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .options import AccountId, DataDir, load_settings, open_runtime

console = Console(stderr=True, soft_wrap=True)  # a long line stays one line, for grep and logs


def _progress(label: str):
    def note(step: str, count: int) -> None:
        console.print(f"  {label}: {step} {count}")

    return note


def backup(data_dir: DataDir = None) -> None:
    """Back up the database now (and drop backups past their retention); prints the backup's path."""
    from promptwatch.server.services.backups import expire_backups, take_backup

    runtime = open_runtime(data_dir)
    made = take_backup(runtime, progress=_progress("backup"))
    removed = expire_backups(runtime)
    if removed:
        console.print(f"expired backups removed: {', '.join(removed)}")
    typer.echo(made["path"])


def restore(
    path: Annotated[Path, typer.Argument(metavar="BACKUP", exists=True, dir_okay=False)],
    data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; the server must be stopped.")] = False,
    without_ledger: Annotated[
        bool,
        typer.Option(
            "--without-ledger",
            help="Restore even if the deletion ledger is missing: what was deleted since the backup comes back.",
        ),
    ] = False,
) -> None:
    """Restore a backup (stop the server first), then re-apply every deletion and credential change made
    since it was taken; every log-in ends. The database may be damaged or missing: the backup replaces it.
    It names each account left with no owner (`users set-role` gives it one). Without the deletion ledger it
    refuses, unless `--without-ledger` says what was deleted since the backup may come back."""
    from promptwatch.server.services.backups import restore_backup

    if not yes and not typer.confirm(f"Replace the database with {path.name}? The server must be stopped"):
        raise typer.Exit(1)
    settings = load_settings(data_dir)
    result = restore_backup(settings, path, progress=_progress("restore"), without_ledger=without_ledger)
    if "ledger_missing" in result:
        console.print(
            f"no deletion ledger at {result['ledger_missing']}: what was deleted, revoked or erased since the "
            "backup is back (--without-ledger)"
        )
    if "schema_upgraded_from" in result:
        console.print(f"the backup's schema ({result['schema_upgraded_from']}) was upgraded to this release's")
    console.print(
        f"restored {result['restored']} (taken {result['taken_at']}); "
        f"deletions re-applied: {result['deletions_reapplied']}; "
        f"credential changes re-applied: {result['credential_changes_reapplied']}; "
        f"retention policies set again: {result['settings_reapplied']}"
    )
    for email in result["passwords_to_reset"]:
        console.print(f"{email} changed their password since the backup: reset it (promptwatch users reset-password)")
    for account in result["accounts_without_owner"]:
        console.print(
            f"account {account} has no owner: ownership passed after the backup to someone it does not hold; "
            f"give it one with promptwatch users set-role EMAIL owner --account {account}"
        )


def export(
    out: Annotated[Path, typer.Option("--out", help="The zip archive to write.")],
    data_dir: DataDir = None,
    account: AccountId = 1,
    tenant: Annotated[str | None, typer.Option(help="Only what concerns this tracking tenant.")] = None,
) -> None:
    """Export everything an account owns (or one tenant's data) as JSON Lines in a zip with a manifest."""
    from promptwatch.server.services import archive
    from promptwatch.server.services.data_transfer import require_tenant

    runtime = open_runtime(data_dir, account)
    if tenant is not None:
        require_tenant(runtime, account, tenant)
    manifest = archive.export_archive(runtime, account, out, tenant=tenant, progress=_progress("export"))
    rows = sum(f["rows"] for f in manifest["files"].values())
    console.print(f"exported {rows} rows in {len(manifest['files'])} files to {out}")


def import_(
    path: Annotated[Path, typer.Argument(metavar="ARCHIVE", exists=True, dir_okay=False)],
    data_dir: DataDir = None,
    account: AccountId = 1,
) -> None:
    """Import an export archive into an account (all or nothing; ids are remapped)."""
    from promptwatch.server.services import archive

    result = archive.import_archive(open_runtime(data_dir, account), path, account, progress=_progress("import"))
    counts, left_out = result["imported"], result["left_out_deleted"]
    console.print(f"imported {sum(counts.values())} rows: {counts}")
    if left_out["sessions"] or left_out["activities"]:
        console.print(
            f"left out, as this account deleted them: {left_out['sessions']} sessions and "
            f"{left_out['activities']} activities, with what refers to them"
        )
    if left_out["datasets"] or left_out["dataset_items"]:
        console.print(
            f"left out, as this account deleted them or the calls they were copied from: {left_out['datasets']} "
            f"datasets and {left_out['dataset_items']} dataset items"
        )
    if left_out["invitations"]:
        console.print(f"left out, as the people invited were erased: {left_out['invitations']} invitations")
