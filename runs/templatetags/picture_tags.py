"""`{% load picture_tags %}`: the run history grid's cells as SVG markup.

A plan with 50 tasks has 2,500 cells in its last 50 runs; drawn by the template language that
was ~300 KiB and ~75 ms per render (the section refreshes every few seconds while a run is
active), so the cells are written here, compactly (sizes come from the stylesheet).
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from runs.pictures.history import RunHistory

register = template.Library()


@register.simple_tag
def history_cells(history: RunHistory) -> SafeString:
    """One linked cell per job: a square coloured by status with its glyph and a tooltip."""
    job_url = reverse("runs:job", args=[0]).removesuffix("0/")
    return format_html_join(
        "",
        '<a href="{}{}/"><g class="cell st-{}"><title>{}</title>'
        '<rect x="{}" y="{}"/><text x="{}" y="{}">{}</text></g></a>',
        (
            (
                job_url,
                cell.job_id,
                cell.status,
                cell.title,
                cell.x,
                cell.y,
                cell.glyph_x,
                cell.glyph_y,
                cell.glyph,
            )
            for cell in history.cells
        ),
    )
