"""The ``callguide`` command (CONTRACT.md "Command line")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from .facts import InvalidFacts, parse_incident
from .rulebook import RulebookError, load_rulebook

EXIT_INVALID = 2


def _read_document(source: str) -> Any:
    """JSON or YAML from a file or ``-`` (standard input); YAML is a superset of JSON."""
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _fail(message: str, code: int = EXIT_INVALID) -> None:
    click.echo(f"callguide: {message}", err=True)
    sys.exit(code)


@click.group()
@click.version_option(package_name="callguide")
def main() -> None:
    """Should I call the police? Decision support for incidents involving children in care."""


@main.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print the decision object as JSON.")
@click.option("--explain", is_flag=True, help="Also list the rules that did not apply.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), help="Rulebook directory.")
def decide(file: str, as_json: bool, explain: bool, rules_dir: str | None) -> None:
    """Decide on the incident facts in FILE (JSON or YAML; '-' for standard input)."""
    from .decision import Decider
    from .text import render_decision

    try:
        document = _read_document(file)
    except FileNotFoundError:
        _fail(f"no such file: {file}")
    except yaml.YAMLError as exc:
        _fail(f"the incident is not valid JSON or YAML: {exc}")
    try:
        incident = parse_incident(document)
    except InvalidFacts as exc:
        for field, message in exc.errors:
            click.echo(f"callguide: invalid incident: {field}: {message}", err=True)
        sys.exit(EXIT_INVALID)
    try:
        decider = Decider(load_rulebook(Path(rules_dir)) if rules_dir else None)
    except RulebookError as exc:
        _fail(f"the rulebook cannot be used: {exc}", code=1)
    decision = decider.decide(incident, explain=explain)
    if as_json:
        click.echo(json.dumps(decision.model_dump(mode="json", exclude_none=True), indent=2))
    else:
        click.echo(render_decision(decision, decider.book.vocabulary))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Worker processes (durable_rules is single-threaded, so scale with processes).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request line (the service always logs each decision's answer and rule ids).")
def serve(host: str, port: int, workers: int, access_log: bool) -> None:
    """Run the HTTP service."""
    from .serving import serve as run_service

    run_service(host, port, workers, access_log=access_log)


@main.group()
def rules() -> None:
    """Inspect and check the rulebook."""


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def rules_check(directory: str | None) -> None:
    """Validate the rulebook and show that every rule can fire."""
    from .decision import Decider
    from .engine import EngineError
    from .lint import check_rulebook

    try:
        book = load_rulebook(Path(directory) if directory else None)
        problems = check_rulebook(Decider(book))
    except (RulebookError, EngineError) as exc:
        _fail(str(exc), code=1)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    rows = sum(len(table.rows) for table in book.tables.values())
    click.echo(f"ok: {len(book.rules)} rules in {len(book.themes)} themes, {rows} rows in "
               f"{len(book.tables)} decision tables, {len(book.parameters)} parameters; rulebook {book.version}")


@rules.command("list")
@click.option("--theme", help="Only this theme.")
def rules_list(theme: str | None) -> None:
    """List the rules: id, theme, what it concludes, and its source."""
    book = load_rulebook()
    for rule in book.rules:
        if theme and rule.theme != theme:
            continue
        then = rule.then
        verdict = f"{then.recommend.value} ({then.strength})" if then.recommend else (
            "derives " + ", ".join(then.derive) if then.derive else "actions")
        click.echo(f"{rule.id:38} {rule.theme:22} {verdict:28} {rule.source}")


# -- scenarios, walkthrough and rule coverage (issue 4) ----------------------------------------

def _scenario_dir_option(function: Any) -> Any:
    return click.option("--dir", "scenarios_dir", type=click.Path(file_okay=False),
                        help="Scenario directory (default: $CALLGUIDE_SCENARIOS or scenarios/).")(function)


def _load_scenarios_or_fail(scenarios_dir: str | None) -> list[Any]:
    from .scenarios import ScenarioError, load_scenarios

    try:
        return load_scenarios(Path(scenarios_dir) if scenarios_dir else None)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(f"callguide: {problem}", err=True)
        sys.exit(EXIT_INVALID)


@main.group()
def scenarios() -> None:
    """The scenario library: training incidents that are also regression tests."""


@scenarios.command("list")
@click.option("--audience", help="Only scenarios for this audience (e.g. foster_carers).")
@_scenario_dir_option
def scenarios_list(audience: str | None, scenarios_dir: str | None) -> None:
    """List the scenarios: id, steps, audience and title."""
    for scenario in _load_scenarios_or_fail(scenarios_dir):
        if audience and audience not in scenario.audience:
            continue
        click.echo(f"{scenario.id:36} {len(scenario.steps)} steps  "
                   f"{','.join(scenario.audience):44} {scenario.title}")


@scenarios.command("run")
@click.argument("ids", nargs=-1)
@_scenario_dir_option
def scenarios_run(ids: tuple[str, ...], scenarios_dir: str | None) -> None:
    """Run scenarios (all, or the IDs given) and check every step's expected answer."""
    from .decision import Decider
    from .scenarios import run_scenario

    library = _load_scenarios_or_fail(scenarios_dir)
    if ids:
        by_id = {scenario.id: scenario for scenario in library}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            _fail(f"no scenario with id {', '.join(unknown)} (see `callguide scenarios list`)")
        library = [by_id[i] for i in ids]
    decider = Decider()
    passed = failed = 0
    for scenario in library:
        result = run_scenario(decider, scenario)
        if result.passed:
            passed += 1
            levels = " > ".join(step.recommendation.value for step in result.steps)
            click.echo(f"PASS {scenario.id} ({levels})")
        else:
            failed += 1
            click.echo(f"FAIL {scenario.id}")
            for failure in result.failures:
                click.echo(f"     {failure}")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@scenarios.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def scenarios_check(files: tuple[str, ...]) -> None:
    """Check a trainer's scenario FILE: its fields, its facts, the rule ids it names, and its answers."""
    from .decision import Decider
    from .scenarios import ScenarioError, check_against_rulebook, load_scenario_file, run_scenario

    decider = Decider()
    bad = 0
    for file in files:
        try:
            scenario = load_scenario_file(Path(file))
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                click.echo(f"{file}: {problem.split(': ', 1)[1] if problem.startswith(Path(file).name + ': ') else problem}")
            continue
        problems = check_against_rulebook(scenario, decider.book)
        if not problems:
            problems = run_scenario(decider, scenario).failures
        if problems:
            bad += 1
            click.echo("\n".join(f"{file}: {p}" for p in problems))
        else:
            click.echo(f"{file}: ok ({scenario.id}, {len(scenario.steps)} steps, all answers as expected)")
    if bad:
        sys.exit(1)


@main.command()
@click.argument("scenario_id")
@click.option("--auto", is_flag=True, help="Print every step without waiting.")
@click.option("--markdown", "markdown", is_flag=False, flag_value="-", default=None, metavar="[FILE]",
              help="Write a printable Markdown handout to FILE (or standard output).")
@_scenario_dir_option
def walkthrough(scenario_id: str, auto: bool, markdown: str | None, scenarios_dir: str | None) -> None:
    """Walk a group through scenario SCENARIO_ID one step at a time (Enter reveals the next)."""
    from . import walkthrough as wt
    from .decision import Decider

    by_id = {s.id: s for s in _load_scenarios_or_fail(scenarios_dir)}
    if scenario_id not in by_id:
        _fail(f"no scenario with id {scenario_id} (see `callguide scenarios list`)")
    scenario = by_id[scenario_id]
    views = wt.build(Decider(), scenario)
    if markdown is not None:
        text = wt.render_markdown(scenario, views)
        if markdown == "-":
            click.echo(text, nl=False)
        else:
            Path(markdown).write_text(text, encoding="utf-8")
            click.echo(f"wrote {markdown}")
        return
    if auto:
        click.echo(wt.render_auto(scenario, views), nl=False)
        return
    def write(text: str) -> None:
        click.echo(text, nl=False)
        sys.stdout.flush()

    wt.run_interactive(scenario, views, sys.stdin.readline, write)


@rules.command("coverage")
@_scenario_dir_option
def rules_coverage(scenarios_dir: str | None) -> None:
    """Every rule and the scenarios that exercise it; exit 1 if a rule is exercised by none."""
    from .decision import Decider
    from .scenarios import coverage, run_scenario

    library = _load_scenarios_or_fail(scenarios_dir)
    decider = Decider()
    covered = coverage([run_scenario(decider, s) for s in library], decider.book)
    missing = [rule_id for rule_id, ids in covered.items() if not ids]
    for rule_id, ids in covered.items():
        shown = ", ".join(ids[:4]) + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")
        click.echo(f"{rule_id:38} {len(ids):3}  {shown or 'NOT EXERCISED BY ANY SCENARIO'}")
    click.echo(f"coverage: {len(covered) - len(missing)}/{len(covered)} rules exercised by "
               f"{len(library)} scenarios")
    if missing:
        click.echo("not exercised: " + ", ".join(missing), err=True)
        sys.exit(1)


# Decision records, monitoring report and API keys (issue 6): callguide keys | report | records
from .records.cli import COMMANDS as _RECORDS_COMMANDS  # noqa: E402

for _command in _RECORDS_COMMANDS:
    main.add_command(_command)
