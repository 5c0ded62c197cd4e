"""`wardeye audit …`: check the audit trail (and, for the CLI's operator, read it)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from wardeye.audit.keys import SiteKeyError, load_public_key
from wardeye.audit.log import AuditLog
from wardeye.audit.verify import VerifyReport
from wardeye.cli.context import ConfigOption, console, err_console, opened

app = typer.Typer(help="The audit trail.", no_args_is_help=True)

SHOWN = 20


def _summary(report: VerifyReport, show_all: bool) -> None:
    facts = Table(show_header=False, box=None)
    span = f" (seq {report.first_seq}–{report.last_seq})" if report.entries else ""
    facts.add_row("entries", f"{report.entries}{span}")
    facts.add_row("checkpoints", f"{report.checkpoints_in_table} in the catalog, "
                  f"{report.checkpoints_in_file} in the checkpoint file")  # fmt: skip
    newest = report.newest_checkpoint_seq
    facts.add_row("newest signed", "none yet" if newest is None else f"entry {newest}")
    facts.add_row("not yet signed", f"{report.unsealed_entries} newest entries")
    console.print(facts)
    if report.intact:
        console.print("[green]intact[/green]: no entry edited, deleted, inserted, reordered "
                      "or cut off")  # fmt: skip
        return
    counts = Table("problem", "count", title="[red]the audit trail was tampered with[/red]")
    for problem, count in sorted(report.counts.items()):
        counts.add_row(problem.value, str(count))
    console.print(counts)
    shown = report.findings if show_all else report.findings[:SHOWN]
    details = Table("problem", "seq", "what")
    for finding in shown:
        seq = "" if finding.seq is None else str(finding.seq)
        if finding.until_seq is not None and finding.until_seq != finding.seq:
            seq += f"–{finding.until_seq}"
        details.add_row(finding.problem.value, seq, finding.message)
    console.print(details)
    hidden = sum(report.counts.values()) - len(shown)
    if hidden > 0:
        console.print(f"… and {hidden} more" + ("" if show_all else " (--all shows more)"))


@app.command("verify")
def verify(
    public_key: Path | None = typer.Option(
        None,
        "--public-key",
        help="Check signatures against this copy of site_key.pub "
        "(default: the one in the data directory, which an intruder could replace).",
    ),
    show_all: bool = typer.Option(False, "--all", help="List every finding kept."),
    config: Path | None = ConfigOption,
) -> None:
    """Re-walk the hash chain and check every signed checkpoint. Exits 0 when the trail is
    intact, 1 when anything was edited, deleted, inserted, reordered or cut off."""
    pinned = None
    if public_key is not None:
        try:
            pinned = load_public_key(public_key)
        except (OSError, SiteKeyError) as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    with opened(config) as wardeye:
        report = AuditLog(wardeye.db, wardeye.config.data_dir).verify(pinned)
    _summary(report, show_all)
    if not report.intact:
        raise typer.Exit(1)
