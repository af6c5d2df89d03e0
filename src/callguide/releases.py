"""Review and sign-off of a rulebook (``releases.yaml``), and the release every answer carries.

Practitioners review a rulebook (``callguide rules review`` writes their pack) and sign off the
exact version they saw: its sha256 (``callguide rules check`` prints it). ``releases.yaml`` in the
rules directory (and in an area pack, for a pack's own sign-offs) lists those sign-offs. It is not
part of the rulebook's sha: signing off must not change what was signed off.

Every decision and call check carries ``rulebook_release``: the version name and date of the
sign-off whose sha is the rulebook's own, or ``reviewed: false`` when there is none. Nothing here
ever guesses a sign-off: only an exact sha match counts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import yaml

from . import yamlsafe
from pydantic import BaseModel, ConfigDict, Field, ValidationError

RELEASES_FILE = "releases.yaml"
UNREVIEWED = "unreviewed"
SHA = r"^sha256:[0-9a-f]{64}$"


class ReleaseError(ValueError):
    """A releases.yaml that cannot be trusted; the message names the file and entry."""


class SignOff(BaseModel):
    """One review meeting's sign-off of one exact rulebook version."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str = Field(min_length=1, description="The release's name, e.g. 2026.1.")
    rulebook: str = Field(pattern=SHA, description="The sha256 of the rulebook that was reviewed.")
    date: dt.date
    reviewed_by: list[str] = Field(min_length=1, description="The reviewers' roles (not names).")
    notes: str = ""
    commit: str | None = Field(None, description="A git revision holding this rulebook, for diffs.")


class RulebookRelease(BaseModel):
    """Which reviewed release gave an answer (``reviewed`` is true only for an exact sha match)."""

    version: str = Field(description="The signed-off release's name, or 'unreviewed'.")
    reviewed: bool = Field(description="True only when practitioners signed off this exact rulebook sha.")
    reviewed_on: dt.date | None = Field(None, description=(
        "The date of the sign-off; absent (or null) when the rulebook has not been reviewed."))


def load_signoffs(path: Path) -> list[SignOff]:
    if not path.exists():
        return []
    try:
        raw = yamlsafe.load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReleaseError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("releases", []) or [], list):
        raise ReleaseError(f"{path.name}: expected 'releases:' with a list of sign-offs")
    signoffs: list[SignOff] = []
    for index, entry in enumerate(raw.get("releases") or []):
        try:
            signoffs.append(SignOff.model_validate(entry))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ReleaseError(f"{path.name}: sign-off {index + 1}: {problems}") from None
    return signoffs


def signoffs_in(directories: Iterable[Path | None]) -> list[SignOff]:
    """Every sign-off in the rules directory and the pack, newest first."""
    found = [s for d in directories if d is not None for s in load_signoffs(Path(d) / RELEASES_FILE)]
    return sorted(found, key=lambda s: s.date, reverse=True)


def release_for(version: str, signoffs: list[SignOff]) -> RulebookRelease:
    for signoff in signoffs:
        if signoff.rulebook == version:
            return RulebookRelease(version=signoff.version, reviewed=True, reviewed_on=signoff.date)
    return RulebookRelease(version=UNREVIEWED, reviewed=False)
