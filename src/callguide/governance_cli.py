"""``callguide rules diff`` and ``callguide rules review`` (issue 13): what a rule change would do,
and the review pack practitioners sign off (docs/governance.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .cli_common import fail as _fail, load_book as _load_book, pack_option as _pack_option
from .scenario_cli import load_library


def _scenario_dir_option(function: Any) -> Any:
    return click.option("--dir", "scenarios_dir", type=click.Path(file_okay=False),
                        help="Your own scenarios folder, added to the built-in scenarios.")(function)
from .rulebook import RulebookError, default_rules_dir, load_rulebook


def _pack_options(function: Any) -> Any:
    for name, help_text in (("--base-pack", "Area pack for BASE (a directory, or 'none')."),
                            ("--head-pack", "Area pack for HEAD (a directory, or 'none')."),
                            ("--pack", "Area pack for both sides (a directory, or 'none').")):
        function = click.option(name, metavar="DIR", help=help_text)(function)
    return function


def _side(spec: str | None, pack: str | None, stack: Any, repo: Path, against_working_tree: bool = False,
          ) -> tuple[str, Any]:
    """A rulebook to compare: the working tree's default (None), a directory or a git revision. A
    directory compared with the working tree (which has its pack) gets the same pack unless told."""
    from .packs import DEFAULT_PACK, PACK_ENV, default_pack_dir, pack_option
    from .rulediff import checkout

    chosen = pack_option(pack)
    if spec is None:
        return "working tree", load_rulebook(None, chosen, newer_facts_ok=True)
    from .rulebook import DEFAULT

    root = stack.enter_context(checkout(spec, repo))
    if Path(spec).is_dir():  # a rules directory, or a checkout holding one; no pack unless given
        rules_dir = root / "rules" if not any(root.glob("*.yaml")) and (root / "rules").is_dir() else root
        if chosen is DEFAULT:
            chosen = default_pack_dir() if against_working_tree else None
        return spec, load_rulebook(rules_dir, chosen, newer_facts_ok=True)
    if chosen is DEFAULT:  # a git revision: its own default pack, unless $CALLGUIDE_PACK says otherwise
        candidate = root / "packs" / DEFAULT_PACK
        chosen = pack_option(os.environ[PACK_ENV]) if os.environ.get(PACK_ENV) else (
            candidate if candidate.is_dir() else None)
    return spec, load_rulebook(root / "rules", chosen, newer_facts_ok=True)


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@_pack_options
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False), help="Also write the report as Markdown.")
@click.option("--fail-on-lowered-safety", is_flag=True, help="Exit 1 if any call_999 answer would go down, or a safety rule is removed or weakened.")
@click.option("--database-url", help="Also compare the facts of recorded decisions (read only; "
                                     "default $CALLGUIDE_DATABASE_URL if set).")
@_scenario_dir_option
def rules_diff(base: str, head: str | None, pack: str | None, base_pack: str | None, head_pack: str | None,
               markdown_file: str | None, fail_on_lowered_safety: bool, database_url: str | None,
               scenarios_dir: str | None) -> None:
    """What changing the rulebook from BASE to HEAD would do (directories or git revisions;
    HEAD defaults to the working tree's rulebook): rules added, removed and changed, parameters,
    contacts, call-check table rows and vocabulary entries changed, and each incident whose answer
    changes, safety first."""
    import contextlib
    import subprocess

    from .corpus import build_corpus
    from .decision import Decider
    from .engine import EngineError
    from .rulediff import diff, render

    repo = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                               cwd=Path.cwd()).stdout.strip() or ".")
    with contextlib.ExitStack() as stack:
        try:
            base_label, base_book = _side(base, base_pack or pack, stack, repo, against_working_tree=head is None)
            head_label, head_book = _side(head, head_pack or pack, stack, repo)
            base_decider = Decider(base_book)
            head_decider = base_decider if head_book.version == base_book.version else Decider(head_book)
            corpus, dropped = build_corpus([base_decider, head_decider], Path(scenarios_dir) if scenarios_dir else None,
                                           database_url or os.environ.get("CALLGUIDE_DATABASE_URL"))
        except (RulebookError, EngineError, ValueError, subprocess.CalledProcessError) as exc:
            _fail(f"cannot compare: {exc}", code=2)
        report = diff(base_decider, head_decider, corpus, dropped, base_label, head_label)
    click.echo(render(report), nl=False)
    if markdown_file:
        Path(markdown_file).write_text(render(report, markdown=True), encoding="utf-8")
        click.echo(f"wrote {markdown_file}")
    if fail_on_lowered_safety and report.lowers_safety:
        click.echo("callguide: a call_999 answer would go down, or a safety rule is removed or weakened; "
                   "see the flagged changes above", err=True)
        sys.exit(1)


@click.command("review")
@click.option("--markdown", "markdown_file", required=True, type=click.Path(dir_okay=False),
              help="Write the review pack to FILE ('-': standard output).")
@_pack_option
@_scenario_dir_option
def rules_review(markdown_file: str, pack: str | None, scenarios_dir: str | None) -> None:
    """Write the review pack: every theme and rule in plain words, its source and quote, the
    scenarios that show it, the call check's decision tables row by row, the vocabulary, and the
    changes since the last signed-off version."""
    import contextlib
    import subprocess

    from .corpus import build_corpus
    from .decision import Decider
    from .packs import default_pack_dir, pack_option
    from .releases import signoffs_in
    from .review import review_pack
    from .rulebook import DEFAULT
    from .rulediff import checkout, diff, render
    from .scenarios import coverage, run_scenario

    book = _load_book(None, pack)
    decider = Decider(book)
    library = load_library(scenarios_dir)
    covered = coverage([run_scenario(decider, s) for s in library], book)
    chosen = pack_option(pack)
    pack_dir = default_pack_dir() if chosen is DEFAULT else chosen
    signoffs = signoffs_in([default_rules_dir(), pack_dir])

    def changes_since(signoff: Any) -> str:
        repo = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                                   text=True).stdout.strip() or ".")
        with contextlib.ExitStack() as stack:
            root = stack.enter_context(checkout(signoff.commit, repo))
            old_pack = root / "packs" / book.pack if book.pack else None
            old = load_rulebook(root / "rules", old_pack if old_pack and old_pack.is_dir() else None)
            old_decider = Decider(old)
            corpus, dropped = build_corpus([old_decider, decider], Path(scenarios_dir) if scenarios_dir else None)
            report = diff(old_decider, decider, corpus, dropped, signoff.version, "this version")
        return render(report, markdown=True)

    text = review_pack(book, covered, signoffs[0] if signoffs else None, changes_since)
    if markdown_file == "-":
        click.echo(text, nl=False)
        return
    Path(markdown_file).write_text(text, encoding="utf-8")
    rows = sum(len(table.rows) for table in book.tables.values())
    click.echo(f"wrote {markdown_file}: {len(book.rules)} rules in {len(book.themes)} themes, "
               f"{len(book.tables)} decision tables ({rows} rows) and the vocabulary; "
               + ("reviewed" if book.release.reviewed else "this rulebook has not been reviewed"))


COMMANDS = [rules_diff, rules_review]
