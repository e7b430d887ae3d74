"""Charts drawn on the server as SVG, each shown beside the table it draws (readable without the picture).

The library is pygal: pure Python (no numpy, no native code, a few hundred kilobytes), it writes SVG and nothing else,
so a chart is markup the page and the PDF (WeasyPrint draws inline SVG) embed as they are, with no image files and no
script. matplotlib's SVG backend was the alternative; it brings numpy and a much larger memory footprint to a web
process for bar charts that pygal draws alone. The chart's script and tooltips are switched off (`js=[]`): the pages
work without JavaScript and the data table carries the numbers.
"""

from __future__ import annotations

from decimal import Decimal

import pygal
from pygal.style import Style

from credentials.reports.tables import Table

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#6b6b6b",
    colors=("#1d5c96",),
    font_family="sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
)


def bar_chart(table: Table, title: str) -> str | None:
    """A bar per row of the table's chart column (suppressed figures left out); None when there is nothing to draw."""
    if table.chart is None:
        return None
    index = [key for key, _ in table.columns].index(table.chart)
    points = [(str(row[0]), row[index]) for row in table.rows]
    drawn = [(label, float(value)) for label, value in points if isinstance(value, (int, Decimal))]
    if not drawn or not any(value for _, value in drawn):
        return None
    horizontal = len(drawn) > 12
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(
        style=STYLE,
        js=[],
        show_legend=False,
        disable_xml_declaration=True,
        width=640,
        height=max(320, 26 * len(drawn) + 80) if horizontal else 320,
        x_label_rotation=0 if horizontal else 45,
        truncate_label=-1,
        print_values=False,
        title=title,
    )
    if horizontal:  # pygal draws the first bar at the bottom: reversed, the chart reads top-down like the table
        drawn.reverse()
    chart.x_labels = [label for label, _ in drawn]
    chart.add(title, [value for _, value in drawn])
    svg: str = chart.render(is_unicode=True)
    return svg
