"""``callguide scenarios ...``, ``callguide walkthrough`` and ``callguide rules coverage``: for trainers.

Every mistake a trainer can make ends in one line naming what to change (exit 2 for a wrong
argument or scenario file, 1 for a scenario that does not pass or a file that cannot be written),
never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .cli_common import EXIT_INVALID, fail as _fail
from .scenarios import AUDIENCES, ENV_VAR, Scenario, ScenarioError

PACK_KEY = "callguide.pack"


def _choose_pack(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # Kept on the command's context, read by _decider(): --pack applies to this command run only.
    ctx.meta[PACK_KEY] = value


def library_options(function: Any) -> Any:
    """--dir (a trainer's folder, added to the built-in scenarios), --own-only and --pack."""
    function = click.option("--pack", metavar="DIR", expose_value=False, callback=_choose_pack,
                            help="Area pack directory ('none': the national base alone; default "
                                 "$CALLGUIDE_PACK, else packs/northamptonshire).")(function)
    function = click.option("--own-only", is_flag=True,
                            help="Only the scenarios in --dir and $CALLGUIDE_SCENARIOS, not the built-in ones.")(function)
    return click.option("--dir", "scenarios_dir", type=click.Path(file_okay=False),
                        help=f"Your own scenarios folder, added to the built-in scenarios (as ${ENV_VAR} does).")(function)


def load_library(scenarios_dir: str | None, own_only: bool = False) -> list[Scenario]:
    from .scenarios import load_scenarios, trainer_dirs

    if own_only and not scenarios_dir and not trainer_dirs():
        _fail(f"--own-only needs --dir FOLDER or ${ENV_VAR}")
    try:
        return load_scenarios(extra=[Path(scenarios_dir)] if scenarios_dir else [], builtin=not own_only)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(f"callguide: {problem}", err=True)
        sys.exit(EXIT_INVALID)


def _decider() -> Any:
    from .decision import Decider
    from .packs import pack_option
    from .rulebook import RulebookError, load_rulebook

    context = click.get_current_context(silent=True)
    chosen = context.meta.get(PACK_KEY) if context is not None else None
    try:
        return Decider(load_rulebook(None, pack_option(chosen)))
    except RulebookError as exc:
        _fail(f"the rulebook cannot be used: {exc}", code=1)


def select(library: list[Scenario], ids: tuple[str, ...], audience: str | None, topic: str | None,
           decider: Any) -> list[Scenario]:
    """The scenarios named by id (in that order), else those for ``audience`` and ``topic``."""
    from .scenarios import run_scenario, topics, unknown_audience

    problem = unknown_audience(audience)
    if problem:
        _fail(problem)
    by_id = {s.id: s for s in library}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        _fail(f"no scenario with id {', '.join(unknown)} (see `callguide scenarios list`; your own "
              f"scenarios need --dir FOLDER or ${ENV_VAR})")
    chosen = [by_id[i] for i in ids] if ids else list(library)
    if audience:
        chosen = [s for s in chosen if audience in s.audience]
    if topic:
        tagged = {s.id: topics(s, run_scenario(decider, s), decider.book) for s in chosen}
        known = sorted(set(decider.book.themes) | {t for s in library for t in s.topics})
        if topic not in known:
            _fail(f"unknown topic '{topic}'; use one of: {', '.join(known)}")
        chosen = [s for s in chosen if topic in tagged[s.id]]
    return chosen


@click.group()
def scenarios() -> None:
    """The scenario library: training incidents that are also regression tests."""


@scenarios.command("list")
@click.option("--audience", help="Only scenarios for this audience (e.g. foster_carers).")
@click.option("--topic", help="Only scenarios on this topic (e.g. missing); see `scenarios vocabulary`.")
@library_options
def scenarios_list(audience: str | None, topic: str | None, scenarios_dir: str | None, own_only: bool) -> None:
    """List the scenarios: id, steps, audience and title."""
    library = load_library(scenarios_dir, own_only)
    for scenario in select(library, (), audience, topic, _decider() if topic else None):
        click.echo(f"{scenario.id:36} {len(scenario.steps)} steps  "
                   f"{','.join(scenario.audience):44} {scenario.title}")


@scenarios.command("run")
@click.argument("ids", nargs=-1)
@library_options
def scenarios_run(ids: tuple[str, ...], scenarios_dir: str | None, own_only: bool) -> None:
    """Run scenarios (all, or the IDs given) and check every step's expected answer."""
    from .scenarios import run_scenario

    decider = _decider()
    library = select(load_library(scenarios_dir, own_only), ids, None, None, decider)
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
    """Check a trainer's scenario FILE: its fields, its facts, the ids it names, and its answers."""
    from .scenarios import load_scenario_file, scenario_problems

    decider = _decider()
    bad = 0
    for file in files:
        try:
            scenario = load_scenario_file(Path(file))
        except ScenarioError as exc:
            bad += 1
            prefix = Path(file).name + ": "
            for problem in exc.problems:
                click.echo(f"{file}: {problem[len(prefix):] if problem.startswith(prefix) else problem}")
            continue
        problems = scenario_problems(decider, scenario)
        if problems:
            bad += 1
            click.echo("\n".join(f"{file}: {p}" for p in problems))
        else:
            click.echo(f"{file}: ok ({scenario.id}, {len(scenario.steps)} steps, all answers as expected)")
    if bad:
        sys.exit(1)


@scenarios.command("vocabulary")
@library_options
def scenarios_vocabulary(scenarios_dir: str | None, own_only: bool) -> None:
    """Everything a scenario file may name: audiences, topics, answers, police responses, facts,
    rule ids, action ids, and the scenario ids already taken."""
    from typing import get_args

    from .facts import LEVEL_ORDER, allowed_values, fact_paths
    from .scenarios import PoliceResponseKind

    decider = _decider()
    book, words = decider.book, decider.book.vocabulary
    out: list[str] = ["audience (one or more):"] + [f"  {a}" for a in AUDIENCES]
    out += ["", "topics (for --topic; a scenario may add its own with topics:):"]
    out += [f"  {name:26} {title}" for name, title in book.themes.items()]
    out += ["", "expect.recommendation:"] + [f"  {lv.value:26} {words.level(lv).title}" for lv in LEVEL_ORDER]
    out += ["", "expect.police_response (call handlers):"] + [f"  {k}" for k in get_args(PoliceResponseKind)]
    out += ["", "facts (section.name: values):"]
    for path in fact_paths():
        values = allowed_values(path)
        shown = "yes/no (true/false)" if values == [True, False] else ", ".join(map(str, values)) if values else "a number"
        out.append(f"  {path:36} {words.label(path)}: {shown}")
    out += ["", "rule ids (expect.rules, not_rules, decisive):"] + [f"  {r.id:38} {r.title}" for r in book.rules]
    actions: dict[str, str] = {}
    for rule in book.rules:
        for action in rule.then.actions:
            actions.setdefault(action.id, action.what)
    out += ["", "action ids (expect.actions):"]
    out += [f"  {aid:30} {what[:70] + ('…' if len(what) > 70 else '')}" for aid, what in sorted(actions.items())]
    out += ["", "scenario ids already taken:"] + [f"  {s.id}" for s in load_library(scenarios_dir, own_only)]
    click.echo("\n".join(out))


def _write(target: str, text: str, what: str) -> None:
    if target == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = "the folder does not exist" if isinstance(exc, FileNotFoundError) else exc.strerror
        _fail(f"cannot write the {what} to {target}: {reason}", code=1)
    click.echo(f"wrote the {what} to {target}")


def passing_or_refused(decider: Any, scenario: Scenario) -> None:
    """A scenario whose expected answers are wrong is not walked through or printed."""
    from .scenarios import scenario_problems

    problems = scenario_problems(decider, scenario)
    if problems:
        _fail(f"scenario {scenario.id} ({scenario.file}) does not pass `callguide scenarios check`, so it "
              "is not shown to a group: " + "; ".join(problems), code=1)


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--auto", is_flag=True, help="Print every step and answer without waiting.")
@click.option("--handout", metavar="FILE", help="Write the group's handout (no answers) as Markdown ('-': standard output).")
@click.option("--answers", metavar="FILE", help="Write the facilitator's answer sheet as Markdown ('-': standard output).")
@click.option("--markdown", metavar="FILE", hidden=True, help="Both parts in one file (older option).")
@click.option("--audience", help="For a course handout: the scenarios for this audience; for one scenario, "
                                 "whose view to take (call_handlers: the call check).")
@click.option("--topic", help="For a course handout: the scenarios on this topic.")
@library_options
def walkthrough(ids: tuple[str, ...], auto: bool, handout: str | None, answers: str | None, markdown: str | None,
                audience: str | None, topic: str | None, scenarios_dir: str | None, own_only: bool) -> None:
    """Walk a group through scenario ID: Enter shows the next step, Enter again its answer.

    With --handout and --answers, print the two parts of a handout instead (several IDs, or
    --topic / --audience, make a course handout)."""
    from . import handout as sheets
    from . import walkthrough as wt

    decider = _decider()
    chosen = select(load_library(scenarios_dir, own_only), ids, audience, topic, decider)
    printing = handout or answers or markdown
    if not chosen:
        _fail("no scenario matches; see `callguide scenarios list`")
    if not printing and (len(chosen) != 1 or not ids):
        _fail("name one scenario to walk through (several, --topic or --audience are for --handout/--answers)")
    for scenario in chosen:
        passing_or_refused(decider, scenario)
    sessions = [(s, wt.build(decider, s, audience)) for s in chosen]
    if printing:
        if handout:
            _write(handout, sheets.group_markdown(sessions), "handout")
        if answers:
            _write(answers, sheets.answers_markdown(sessions), "answer sheet")
        if markdown:
            _write(markdown, sheets.group_markdown(sessions) + "\n" + sheets.answers_markdown(sessions), "handout")
        return
    scenario, views = sessions[0]
    if auto:
        click.echo(wt.render_auto(scenario, views), nl=False)
        return

    def write(text: str) -> None:
        click.echo(text, nl=False)
        sys.stdout.flush()

    wt.run_interactive(scenario, views, sys.stdin.readline, write)


@click.command("coverage")
@library_options
def rules_coverage(scenarios_dir: str | None, own_only: bool) -> None:
    """Every rule and the scenarios that exercise it; exit 1 if a rule is exercised by none."""
    from .scenarios import coverage, run_scenario

    library = load_library(scenarios_dir, own_only)
    decider = _decider()
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
