"""The monitoring report as a web page (``GET /reports/monitoring``): its template and its policy.

The page has its own Content-Security-Policy: nothing loads but from this service, it cannot be
framed, and its one inline style block is allowed by hash. The hash is taken from the template's
source, never from a rendered page, so a style smuggled in through a value would still be refused.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

TEMPLATE = "monitoring.html"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))  # autoescapes .html


def style_hash(template: str = TEMPLATE) -> str:
    """``'sha256-...'`` of the template's inline style block, which must hold no Jinja syntax (its
    rendered text is then its source)."""
    source, _, _ = templates.env.loader.get_source(templates.env, template)
    blocks = re.findall(r"<style>(.*?)</style>", source, flags=re.S)
    if len(blocks) != 1 or "{{" in blocks[0] or "{%" in blocks[0]:
        raise RuntimeError(f"{template} needs exactly one <style> block, without Jinja syntax")
    return "'sha256-" + base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode() + "'"


PAGE_CSP = (f"default-src 'self'; style-src {style_hash()}; img-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'; object-src 'none'")


def render(report: dict[str, Any], query: str) -> str:
    """The page for a report from :func:`report.monitoring`; ``query`` is the request's query
    string, carried into the CSV and chart links."""
    return templates.get_template(TEMPLATE).render(report=report, query=query)
