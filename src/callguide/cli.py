"""The ``callguide`` command (CONTRACT.md "Command line")."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import yaml

from .cli_common import EXIT_INVALID, fail as _fail, load_book as _load_book, pack_option as _pack_option
from .cli_common import read_document as _read_document
from .facts import InvalidFacts, parse_incident
from .rulebook import RulebookError, default_rules_dir, load_rulebook

@click.group()
@click.version_option(package_name="callguide")
def main() -> None:
    """Should I call the police? Decision support for incidents involving children in care."""


@main.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print the decision object as JSON.")
@click.option("--explain", is_flag=True, help="Also list the rules that did not apply.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), help="Rulebook directory.")
@_pack_option
def decide(file: str, as_json: bool, explain: bool, rules_dir: str | None, pack: str | None) -> None:
    """Decide on the incident facts in FILE (JSON or YAML; '-' for standard input)."""
    from .decision import Decider
    from .text import render_decision

    try:
        document = _read_document(file)
    except FileNotFoundError:
        _fail(f"no such file: {file}")
    except yaml.YAMLError as exc:
        _fail(f"the incident is not valid JSON or YAML: {exc}")
    except RecursionError:
        _fail("the incident is nested too deeply to read; an incident has two levels")
    try:
        incident = parse_incident(document)
    except InvalidFacts as exc:
        for field, message in exc.errors:
            click.echo(f"callguide: invalid incident: {field}: {message}", err=True)
        sys.exit(EXIT_INVALID)
    decider = Decider(_load_book(rules_dir, pack))
    decision = decider.decide(incident, explain=explain)
    if as_json:
        click.echo(json.dumps(decision.model_dump(mode="json", exclude_none=True), indent=2))
    else:
        from .why_not import stopped_by

        stopped = stopped_by(decision, incident.known(), decider.book) if explain else None
        click.echo(render_decision(decision, decider.book.vocabulary, stopped))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Worker processes (durable_rules is single-threaded, so scale with processes).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request line (the service always logs each decision's answer and rule ids).")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a client may take to send a request's line and headers (408 after).")
@click.option("--body-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a client may take to send a request's body, once its headers are in (408 after).")
@click.option("--timeout-keep-alive", default=5, show_default=True, type=click.IntRange(min=1),
              help="Seconds an idle keep-alive connection stays open.")
@click.option("--max-connections", default=0, show_default=True, type=click.IntRange(min=0),
              help="Connections per worker; 0: as many as the file-descriptor limit safely allows. Over it, "
                   "the connection that has waited longest for a request is closed.")
@click.option("--limit-concurrency", default=100, show_default=True, type=click.IntRange(min=1),
              help="Requests in flight per worker; more are answered 503.")
@click.option("--allowed-hosts", default=None, metavar="NAMES",
              help="Comma-separated host names requests may use (Host header); '*' allows any. "
                   "Default: the --host address and localhost.")
@click.option("--forwarded-allow-ips", default=None, metavar="IPS",
              help="Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are "
                   "believed. Default: none (the headers are ignored).")
@_pack_option
def serve(host: str, port: int, workers: int, access_log: bool, header_timeout: float, body_timeout: float,
          timeout_keep_alive: int, max_connections: int, limit_concurrency: int, allowed_hosts: str | None,
          forwarded_allow_ips: str | None, pack: str | None) -> None:
    """Run the HTTP service."""
    from .onebook import pin_for_workers
    from .packs import PACK_ENV
    from .records.cli import settings_or_exit
    from .serving import Limits, serve as run_service

    settings_or_exit()  # a bad CALLGUIDE_* value is one line and exit 2, before any worker starts
    if pack is not None:
        os.environ[PACK_ENV] = pack  # as CALLGUIDE_PACK: pinned below with the rules, for every worker
    try:
        pin_for_workers()  # one rulebook for every worker, restarted ones included (issue 12)
    except RulebookError as exc:
        _fail(f"the rulebook cannot be used: {exc}", code=1)

    limits = Limits(header_timeout=header_timeout, body_timeout=body_timeout, max_connections=max_connections,
                    concurrency=limit_concurrency)
    hosts = [name.strip() for name in allowed_hosts.split(",") if name.strip()] if allowed_hosts else None
    run_service(host, port, workers, access_log=access_log, limits=limits, timeout_keep_alive=timeout_keep_alive,
                allowed_hosts=hosts, forwarded_allow_ips=forwarded_allow_ips)


@main.group()
def rules() -> None:
    """Inspect and check the rulebook."""


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@_pack_option
def rules_check(directory: str | None, pack: str | None) -> None:
    """Validate the rulebook, its sources' quotes, and show that every rule can fire."""
    from .decision import Decider
    from .engine import EngineError
    from .lint import check_rulebook
    from .packs import default_pack_dir, pack_option
    from .rulebook import DEFAULT
    from .sources import check_directory

    try:
        book = load_rulebook(Path(directory) if directory else None, pack_option(pack))
        problems = check_rulebook(Decider(book))
    except (RulebookError, EngineError) as exc:
        _fail(str(exc), code=1)
    chosen = pack_option(pack)
    pack_dir = (default_pack_dir() if directory is None else None) if chosen is DEFAULT else chosen
    for folder in [Path(directory) if directory else default_rules_dir(), pack_dir]:
        if folder is not None:
            problems += check_directory(folder)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    rows = sum(len(table.rows) for table in book.tables.values())
    click.echo(f"ok: {len(book.rules)} rules in {len(book.themes)} themes, {rows} rows in "
               f"{len(book.tables)} decision tables, {len(book.parameters)} parameters; rulebook {book.version}"
               + (f" (area pack: {book.pack})" if book.pack else " (national base alone)"))
    release = book.release
    click.echo(f"release: {release.version}, signed off {release.reviewed_on}" if release.reviewed else
               "release: not reviewed (no sign-off in releases.yaml matches this sha)")


@rules.command("list")
@click.option("--theme", help="Only this theme.")
@_pack_option
def rules_list(theme: str | None, pack: str | None) -> None:
    """List the rules: id, theme, what it concludes, and its source."""
    book = _load_book(None, pack)
    for rule in book.rules:
        if theme and rule.theme != theme:
            continue
        then = rule.then
        verdict = f"{then.recommend.value} ({then.strength})" if then.recommend else (
            "derives " + ", ".join(then.derive) if then.derive else "actions")
        click.echo(f"{rule.id:38} {rule.theme:22} {verdict:28} {rule.source}")


# Scenarios, walkthroughs, handouts and rule coverage (issues 4 and 18): scenario_cli.py
from .scenario_cli import rules_coverage as _rules_coverage  # noqa: E402
from .scenario_cli import scenarios as _scenarios  # noqa: E402
from .scenario_cli import walkthrough as _walkthrough  # noqa: E402

main.add_command(_scenarios)
main.add_command(_walkthrough)
rules.add_command(_rules_coverage)


# Rulebook governance (issue 13): callguide rules diff | rules review
from .governance_cli import COMMANDS as _GOVERNANCE_COMMANDS  # noqa: E402

for _command in _GOVERNANCE_COMMANDS:
    rules.add_command(_command)

# Decision records, monitoring report and API keys (issue 6): callguide keys | report | records
from .records.cli import COMMANDS as _RECORDS_COMMANDS  # noqa: E402

for _command in _RECORDS_COMMANDS:
    main.add_command(_command)
