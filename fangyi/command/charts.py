"""The briefing's charts as SVG written in Python: WeasyPrint runs no JavaScript, so the
dashboard's ECharts cannot draw them. A line chart of trend series and a horizontal bar chart
of one figure by sub-jurisdiction; each series differs in dash pattern and marker as well as
colour, so a greyscale print still tells them apart. Every text is escaped (names are data)."""

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from fangyi.checkpoints.posters import FONT_FAMILY

FONT_SIZE = 11
# (colour, dash pattern, marker): dark/light alternating so greyscale keeps them apart.
STYLES = (
    ("#1f4e9c", "", "circle"),
    ("#e08a00", "6 3", "square"),
    ("#2e8b57", "2 2", "triangle"),
    ("#b22222", "8 3 2 3", "diamond"),
    ("#6a3d9a", "4 2 4 6", "circle"),
)
BAR_COLOUR = "#1f4e9c"
MARKERS_UP_TO = 40  # points per series beyond which markers would clutter the line
DATE_LABELS = 6  # at most this many dates under the x axis


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width of `text` in user units: a CJK glyph is one em, a Latin one about 0.6 em."""
    return sum(size if ord(char) > 0x2E7F else size * 0.6 for char in text)


def truncate(text: str, width: float, size: float = FONT_SIZE) -> str:
    """`text` cut (with an ellipsis) to fit `width` user units."""
    if text_width(text, size) <= width:
        return text
    kept = ""
    for char in text:
        if text_width(kept + char + "…", size) > width:
            break
        kept += char
    return kept + "…"


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Round ticks from 0 up to at least `top` (at least 0..4: counts are whole numbers)."""
    top = max(top, 4)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if -(-top // (step * factor)) <= most:
                step *= factor
                count = -(-top // step)
                return [step * n for n in range(count + 1)]
        step *= 10


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="100%" font-family={quoteattr(FONT_FAMILY)} font-size="{FONT_SIZE}" '
        f'role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(
        f" {name.replace('_', '-')}={quoteattr(value)}" for name, value in attrs.items()
    )
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    r = 2.6
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" '
            f'fill="{colour}"/>'
        )
    if shape == "triangle":
        points = f"{x:.1f},{y - r - 0.6:.1f} {x - r:.1f},{y + r:.1f} {x + r:.1f},{y + r:.1f}"
    else:
        points = f"{x:.1f},{y - r - 0.6:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r + 0.6:.1f} {x - r:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="{colour}"/>'


def _legend(series: list[Series], left: float, top: float, width: float) -> tuple[list[str], float]:
    """Legend items in rows under the plot; returns the elements and the height used."""
    body: list[str] = []
    x, y = left, top + FONT_SIZE
    sample = 22
    for index, line in enumerate(series):
        colour, dash, shape = STYLES[index % len(STYLES)]
        name = truncate(line.name, width - sample - 6)
        item = sample + 4 + text_width(name) + 14
        if x > left and x + item > left + width:
            x, y = left, y + FONT_SIZE + 5
        dasharray = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + sample:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{colour}" stroke-width="2"{dasharray}/>'
        )
        body.append(_marker(shape, x + sample / 2, y - 4, colour))
        body.append(_text(x + sample + 4, y, name))
        x += item
    return body, y - top + 4


def line_chart(
    title: str, days: list[date], series: list[Series], *, width: int = 360, height: int = 170
) -> str:
    """Series over `days` (one value per day, clamped at 0): round ticks on the y axis, a few
    dates on the x axis, a legend under the plot. `height` is the plot's box; the legend adds."""
    values = [max(0, v) for line in series for v in line.values]
    ticks = nice_ticks(max(values, default=0))
    left, right, top = 10.0 + text_width(str(ticks[-1])), 10.0, 8.0
    plot_w, plot_h = width - left - right, height - top - 22.0
    scale = plot_h / ticks[-1]
    count = len(days)

    def x_at(index: int) -> float:
        if count <= 1:
            return left + plot_w / 2
        return left + plot_w * index / (count - 1)

    def y_at(value: int) -> float:
        return top + plot_h - max(0, value) * scale

    body: list[str] = []
    for tick in ticks:
        y = y_at(tick)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
            f'stroke="{"#666" if tick == 0 else "#ddd"}" stroke-width="{1 if tick == 0 else 0.6}"/>'
        )
        body.append(_text(left - 5, y + 3.5, str(tick), "end", fill="#333"))
    for index in _date_indices(count):
        x = x_at(index)
        body.append(
            f'<line x1="{x:.1f}" y1="{top + plot_h:.1f}" x2="{x:.1f}" '
            f'y2="{top + plot_h + 3:.1f}" stroke="#666" stroke-width="0.6"/>'
        )
        anchor = "middle"
        if count > 1 and index == 0:
            anchor = "start"
        elif count > 1 and index == count - 1:
            anchor = "end"
        label = days[index].strftime("%m-%d")
        body.append(_text(x, top + plot_h + 14, label, anchor, fill="#333"))
    for index, line in enumerate(series):
        colour, dash, shape = STYLES[index % len(STYLES)]
        points = [(x_at(n), y_at(v)) for n, v in enumerate(line.values[:count])]
        dasharray = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline class="series" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="1.8" stroke-linejoin="round"{dasharray}/>'
        )
        if count <= MARKERS_UP_TO:
            body.extend(_marker(shape, x, y, colour) for x, y in points)
    legend, legend_h = _legend(series, left, height, plot_w)
    body.extend(legend)
    return _svg(width, height + legend_h, body, title)


def _date_indices(count: int) -> list[int]:
    """Which days get a date label: the first, the last and a few evenly between."""
    if count <= DATE_LABELS:
        return list(range(count))
    step = (count - 1) / (DATE_LABELS - 1)
    return sorted({round(step * n) for n in range(DATE_LABELS)})


def bar_chart(title: str, rows: list[tuple[str, int]], *, width: int = 720) -> str:
    """One horizontal bar per (name, value), in the given order, the value at the bar's end;
    names longer than the label column are cut with an ellipsis. Values are clamped at 0."""
    label_w, right, bar_h, gap, top = 180.0, 40.0, 12.0, 5.0, 4.0
    plot_w = width - label_w - right
    ticks = nice_ticks(max((max(0, v) for _n, v in rows), default=0), most=6)
    scale = plot_w / ticks[-1]
    plot_h = len(rows) * (bar_h + gap)
    body = []
    for tick in ticks:
        x = label_w + tick * scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + plot_h:.1f}" '
            f'stroke="{"#666" if tick == 0 else "#ddd"}" stroke-width="{1 if tick == 0 else 0.6}"/>'
        )
        body.append(_text(x, top + plot_h + 13, str(tick), "middle", fill="#333"))
    for index, (name, value) in enumerate(rows):
        y = top + index * (bar_h + gap) + gap / 2
        length = max(0, value) * scale
        body.append(_text(label_w - 6, y + bar_h - 2.5, truncate(name, label_w - 10), "end"))
        body.append(
            f'<rect class="bar" x="{label_w:.1f}" y="{y:.1f}" width="{length:.1f}" '
            f'height="{bar_h}" fill="{BAR_COLOUR}"/>'
        )
        body.append(_text(label_w + length + 4, y + bar_h - 2.5, str(max(0, value)), fill="#111"))
    return _svg(width, top + plot_h + 18, body, title)
