"""The monitoring report as a web page (``GET /reports/monitoring``): its template and its policy.

The page has its own Content-Security-Policy: nothing loads but from this service, it cannot be
framed, and its one inline style block is allowed by hash. The hash is taken from the template's
source, never from a rendered page, so a style smuggled in through a value would still be refused.

The chart is drawn while the page is rendered, from the same report, and embedded as a ``data:``
image: one page view is one build of the report and so one audited read of the figures (an
``<img>`` of ``chart.svg`` built and audited the report a second time). An image, not inline SVG:
matplotlib's SVG styles itself inline, which the page's policy would refuse in the page, and an
SVG image can run no script.
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


PAGE_CSP = (f"default-src 'self'; style-src {style_hash()}; img-src 'self' data:; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'; object-src 'none'")


def chart_uri(svg: str) -> str:
    """The chart as a ``data:`` address for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render(report: dict[str, Any], query: str) -> str:
    """The page for a report from :func:`report.monitoring`, its chart drawn from the same report
    (matplotlib: slow, so call it off the event loop); ``query`` is the request's query string,
    carried into the CSV link."""
    from .chart import monitoring_svg  # matplotlib loads on the first page, not at start-up

    return templates.get_template(TEMPLATE).render(report=report, query=query,
                                                   chart=chart_uri(monitoring_svg(report)))
