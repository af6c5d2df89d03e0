"""What the command groups share: reading a document, failing with a message, choosing a rulebook."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import yamlsafe
from .rulebook import RulebookError, load_rulebook

EXIT_INVALID = 2


def read_document(source: str) -> Any:
    """JSON or YAML from a file or ``-`` (standard input); YAML is a superset of JSON."""
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return yamlsafe.load(text)  # YAML aliases refused: an alias bomb once took 783 MB (issue 16)


def fail(message: str, code: int = EXIT_INVALID) -> None:
    click.echo(f"callguide: {message}", err=True)
    sys.exit(code)


def pack_option(function: Any) -> Any:
    return click.option("--pack", "pack", metavar="DIR",
                        help="Area pack directory ('none': the national base alone; default "
                             "$CALLGUIDE_PACK, else packs/northamptonshire).")(function)


def load_book(directory: str | None = None, pack: str | None = None) -> Any:
    """The rulebook in ``directory`` (default rules/) with the ``--pack`` chosen; exit 1 if unusable."""
    from .packs import pack_option as chosen_pack

    try:
        return load_rulebook(Path(directory) if directory else None, chosen_pack(pack))
    except RulebookError as exc:
        fail(f"the rulebook cannot be used: {exc}", code=1)
