"""The daily briefing as a printable A4 PDF, rendered only from `Briefing.content` (so a
published briefing prints the same whatever was corrected since), in the deployment's language
with Debian's fonts-noto-cjk; WeasyPrint fetches nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from fangyi.checkpoints.posters import FONT_FAMILY
from fangyi.command.figures import FIGURE_BY_KEY, SECTION_LABELS
from fangyi.command.models import Briefing


def _sections(content: dict) -> list[dict]:
    """The day's figures grouped by section, each with its label (figures the catalogue no
    longer knows are left out)."""
    sections: dict[str, dict] = {}
    for row in content.get("figures", []):
        figure = FIGURE_BY_KEY.get(row["key"])
        if figure is None:
            continue
        section = sections.setdefault(
            figure.section, {"label": SECTION_LABELS[figure.section], "rows": []}
        )
        section["rows"].append(
            {
                "label": figure.label,
                "value": row["value"],
                "change": row["value"] - row["previous"],
                "total": row["total"],
                "problem": figure.problem and row["value"] > 0,
            }
        )
    return list(sections.values())


def briefing_pdf(briefing: Briefing) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    content = briefing.content
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "command/briefing_pdf.html",
            {
                "briefing": briefing,
                "content": content,
                "sections": _sections(content),
                "corrections": [
                    {**row, "label": FIGURE_BY_KEY[row["key"]].label}
                    for row in content.get("corrections", [])
                    if row["key"] in FIGURE_BY_KEY
                ],
                "font_family": FONT_FAMILY,
            },
        )
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
