"""The held-out case files, read so that a key written twice in one case is an error.

PyYAML keeps the last of two equal keys without a word: a case with two ``hasnt:`` lines silently
lost its first list (found in review whodid17's merge). The case files share one list by a YAML
alias (``*suspect``), so they cannot use callguide's own reader, which refuses aliases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _NoRepeatedKeys(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        repeated = sorted({str(key) for key in keys if keys.count(key) > 1})
        if repeated:
            raise yaml.constructor.ConstructorError(
                None, None, f"{', '.join(repeated)} written twice in one block", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_cases(name: str) -> Any:
    """``tests/NAME`` as YAML, refusing a key written twice in one mapping."""
    return yaml.load((Path(__file__).parent / name).read_text(encoding="utf-8"), Loader=_NoRepeatedKeys)
