"""``callguide keys``, ``callguide report`` and ``callguide records`` (issue 6).

They work on the database that ``CALLGUIDE_DATABASE_URL`` names (or ``--database-url``), so run
them where the service runs, as someone trusted with that database.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import replace
from datetime import date
from typing import Any, Callable

import click

from .config import Settings, SettingsError, database_url as checked_url
from .models import ROLES

EXIT_INVALID = 2

database_option = click.option("--database-url", default=None,  # unset: Settings.from_env() reads the variable
                               help="SQLAlchemy URL (default: CALLGUIDE_DATABASE_URL, else ./var/callguide.db).")


def _fail(message: str, code: int) -> None:
    click.echo(f"callguide: {message}", err=True)
    sys.exit(code)


def settings_or_exit(database_url: str | None = None) -> Settings:
    """The settings, or one line naming the bad variable (or option) and exit 2."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _fail(str(exc), EXIT_INVALID)
    if database_url:
        try:
            settings = replace(settings, database_url=checked_url(database_url))
        except SettingsError as exc:
            _fail(str(exc).replace("CALLGUIDE_DATABASE_URL", "--database-url"), EXIT_INVALID)
    return settings


def _records(database_url: str | None):
    from .core import Records

    records = Records(settings_or_exit(database_url))
    records.db.ready()
    return records


def _database_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A database that cannot be reached is one line and exit 1, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return fn(*args, **kwargs)
        except (SQLAlchemyError, OSError) as exc:
            from .core import _error_name

            _fail(f"the records database cannot be used ({_error_name(exc)}); check CALLGUIDE_DATABASE_URL "
                  f"and that the database is running", 1)

    return wrapper


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


def _provider(_ctx, _param, value: str | None) -> str | None:
    from .auth import PROVIDER

    if value is not None and not PROVIDER.fullmatch(value):
        raise click.BadParameter("a short code: letters, digits and . _ : / - (up to 64), no spaces")
    return value


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--provider", callback=_provider,
              help="The provider the key belongs to (a short code); a staff key adds outcomes only to its "
                   "provider's records.")
@click.option("--label", help="Who or what the key is for (no names of children).")
@database_option
@_database_errors
def keys_create(role: str, provider: str | None, label: str | None, database_url: str | None) -> None:
    """Create a key and print it once (only its hash is stored)."""
    from .auth import create_key

    key_id, key = create_key(_records(database_url).db, role, label, provider)
    click.echo(key)
    click.echo(f"created {role} key {key_id}{' for ' + provider if provider else ''}; keep it safe, "
               f"it cannot be shown again", err=True)


@keys.command("list")
@database_option
@_database_errors
def keys_list(database_url: str | None) -> None:
    """The keys: id, role, provider, created, revoked, label."""
    from .auth import list_keys

    for k in list_keys(_records(database_url).db):
        click.echo(f"{k.id}  {k.role:8} {k.provider or '(no provider)':16} {k.created_at:%Y-%m-%d}  "
                   f"{'revoked ' + format(k.revoked_at, '%Y-%m-%d') if k.revoked_at else 'active':18} {k.label or ''}")


@keys.command("revoke")
@click.argument("key_id")
@database_option
@_database_errors
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
@_database_errors
def report(start: date | None, end: date | None, placement: str | None, fmt: str, database_url: str | None) -> None:
    """The Protocol §4 monitoring figures (the read is audited as key 'cli'). Figures built from fewer
    than CALLGUIDE_REPORT_MIN_RECORDS records (default 5) are suppressed."""
    from . import report as reports

    if start is not None and end is not None and start > end:
        raise click.BadParameter("must not be after --to", param_hint="--from")
    records = _records(database_url)
    rows = records.store.rows_for_report("cli", start=start, end=end, placement=placement)
    result = reports.monitoring(rows, start=start, end=end, placement=placement,
                                min_records=records.settings.report_min_records)
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
@_database_errors
def records_purge(database_url: str | None) -> None:
    """Delete records older than CALLGUIDE_RETENTION_DAYS (the service also does this)."""
    records = _records(database_url)
    n = records.store.purge("cli")
    click.echo(f"purged {n} records older than {records.settings.retention_days} days"
               if records.settings.retention_days else "retention is 0: records are kept")


@records_group.command("erase")
@click.option("--child-ref", required=True, help="Erase every record with this child reference.")
@database_option
@_database_errors
def records_erase(child_ref: str, database_url: str | None) -> None:
    """Erase everything held for one child reference."""
    n = _records(database_url).store.erase_child(child_ref, "cli")
    click.echo(f"erased {n} records")


COMMANDS = (keys, report, records_group)
