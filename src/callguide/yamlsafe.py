"""YAML without aliases, for incidents, scenarios and rules.

A YAML alias (``*name``) repeats a node by reference, so a few hundred bytes of nested aliases
describe billions of values: harmless while shared, but anything that walks the value (an error
message's ``repr()``, a validator, a copy) expands it. A 464-byte incident made ``callguide
decide`` use 783 MB (issue 16). callguide's rulebook and scenarios use no aliases, so
:class:`NoAliasLoader` (PyYAML's SafeLoader) refuses every alias at composition, before any value
is built.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError

ALIAS_MESSAGE = "YAML aliases (*name) are not accepted; write each value out in full"


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, refusing aliases (and so merge keys ``<<: *name``)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise ComposerError(None, None, ALIAS_MESSAGE, self.peek_event().start_mark)
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """One YAML (or JSON) document, without aliases; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
