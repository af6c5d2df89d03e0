"""YAML without aliases, for incidents, scenarios and rules.

A YAML alias (``*name``) repeats a node by reference, so a few hundred bytes of nested aliases
describe billions of values: harmless while shared, but anything that walks the value (an error
message's ``repr()``, a validator, a copy) expands it. A 464-byte incident made ``callguide
decide`` use 783 MB (issue 16). callguide's rulebook and scenarios use no aliases, so every alias
is refused before any value is built.

PyYAML's composer (libyaml's in C, about ten times faster on a large rulebook, in the pinned wheels;
else its Python one) gives an alias the very node its anchor named, so :func:`load` checks the node
graph: a node reached twice is an alias and is refused, after a walk linear in the size of the text.
"""

from __future__ import annotations

from typing import Any, Sequence

import yaml
from yaml.composer import ComposerError

ALIAS_MESSAGE = "YAML aliases (*name) are not accepted; write each value out in full"
# PyYAML keeps the last of two equal keys and drops the first without a word: a rule with two
# `any:` groups would silently lose one of its conditions.
DUPLICATE_MESSAGE = "the key {key!r} is written twice in one block; the second would silently replace the first"


# libyaml's safe loader when PyYAML was built with it, else the Python one; the same checks follow.
Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str, loader: type = Loader) -> Any:
    """One YAML (or JSON) document, without aliases; raises ``yaml.YAMLError``.
    ``loader``: :class:`Loader` or a subclass (with constructors of its own)."""
    reader = loader(text)
    try:
        try:
            node = reader.get_single_node()
        except yaml.YAMLError as exc:
            if "maximum nesting depth" in str(exc):  # libyaml's limit; Python's loader hits the stack's
                raise RecursionError("YAML nested too deeply") from None
            raise
        if node is None:
            return None
        _refuse_aliases_and_repeats(node)
        return reader.construct_document(node)
    finally:
        reader.dispose()


def _refuse_aliases_and_repeats(root: yaml.Node) -> None:
    """Raise at the first node reached twice (the C composer shares a node between anchor and
    alias), and at a key written twice in one mapping."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            raise ComposerError(None, None, ALIAS_MESSAGE, node.start_mark)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if (key.tag, key.value) in keys:
                        raise ComposerError(None, None, DUPLICATE_MESSAGE.format(key=key.value), key.start_mark)
                    keys.add((key.tag, key.value))
            todo += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value


def line_of(text: str, keys: Sequence[str | int]) -> int:
    """The line (from 1) of the entry at ``keys`` (mapping keys and list positions from the top) in
    ``text``, already read by :func:`load`; the deepest one found when the path stops early; 0 when
    none is. For a message about a file read whole, so that it names the line as a rule's does."""
    reader = Loader(text)
    try:
        node = reader.get_single_node()
    finally:
        reader.dispose()
    line = 0
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line
