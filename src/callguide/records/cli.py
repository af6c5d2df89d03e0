"""``callguide keys``, ``callguide report`` and ``callguide records`` (issue 6).

They work on the database that ``CALLGUIDE_DATABASE_URL`` names (or ``--database-url``), so run
them where the service runs, as someone trusted with that database.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import date

import click

from .config import Settings, normalise_url
from .models import ROLES

database_option = click.option("--database-url", default=None,  # unset: Settings.from_env() reads the variable
                               help="SQLAlchemy URL (default: CALLGUIDE_DATABASE_URL, else ./var/callguide.db).")


def _records(database_url: str | None):
    from .core import Records

    settings = Settings.from_env()
    if database_url:
        settings = replace(settings, database_url=normalise_url(database_url))
    records = Records(settings)
    records.db.ready()
    return records


def _day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--label", help="Who or what the key is for (no names of children).")
@database_option
def keys_create(role: str, label: str | None, database_url: str | None) -> None:
    """Create a key and print it once (only its hash is stored)."""
    from .auth import create_key

    key_id, key = create_key(_records(database_url).db, role, label)
    click.echo(key)
    click.echo(f"created {role} key {key_id}; keep it safe, it cannot be shown again", err=True)


@keys.command("list")
@database_option
def keys_list(database_url: str | None) -> None:
    """The keys: id, role, label, created, revoked."""
    from .auth import list_keys

    for k in list_keys(_records(database_url).db):
        click.echo(f"{k.id}  {k.role:8} {k.created_at:%Y-%m-%d}  "
                   f"{'revoked ' + format(k.revoked_at, '%Y-%m-%d') if k.revoked_at else 'active':18} {k.label or ''}")


@keys.command("revoke")
@click.argument("key_id")
@database_option
def keys_revoke(key_id: str, database_url: str | None) -> None:
    """Revoke a key by its id (the part after ``cgk_``)."""
    from .auth import revoke_key

    if not revoke_key(_records(database_url).db, key_id):
        click.echo(f"callguide: no active key {key_id}", err=True)
        sys.exit(1)
    click.echo(f"revoked {key_id}")


@click.command("report")
@click.option("--from", "start", callback=_day, help="First day, YYYY-MM-DD (UTC).")
@click.option("--to", "end", callback=_day, help="Last day, included.")
@click.option("--placement", help="One placement reference.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@database_option
def report(start: date | None, end: date | None, placement: str | None, fmt: str, database_url: str | None) -> None:
    """The Protocol §4 monitoring figures (the read is audited as key 'cli')."""
    from . import report as reports

    records = _records(database_url)
    rows = records.store.rows_for_report("cli", start=start, end=end, placement=placement)
    result = reports.monitoring(rows, start=start, end=end, placement=placement)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    elif fmt == "csv":
        click.echo(reports.to_csv(result), nl=False)
    else:
        click.echo(reports.to_text(result), nl=False)


@click.group("records")
def records_group() -> None:
    """Retention and erasure of decision records."""


@records_group.command("purge")
@database_option
def records_purge(database_url: str | None) -> None:
    """Delete records older than CALLGUIDE_RETENTION_DAYS (the service also does this)."""
    records = _records(database_url)
    n = records.store.purge("cli")
    click.echo(f"purged {n} records older than {records.settings.retention_days} days"
               if records.settings.retention_days else "retention is 0: records are kept")


@records_group.command("erase")
@click.option("--child-ref", required=True, help="Erase every record with this child reference.")
@database_option
def records_erase(child_ref: str, database_url: str | None) -> None:
    """Erase everything held for one child reference."""
    n = _records(database_url).store.erase_child(child_ref, "cli")
    click.echo(f"erased {n} records")


COMMANDS = (keys, report, records_group)
