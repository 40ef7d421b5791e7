"""Bar charts drawn on the server as SVG, from plain numbers, with the same numbers as a table.

`bars(...)` returns the markup of a <figure>: an SVG (role="img", its <title> and <desc>)
whose bars are stacked by series, each series with its colour *and* its pattern, a total
above every bar, a legend in words, and a <details> holding the table. No JavaScript: the
SVG scales to its container (viewBox, width 100%). Integer pixel math: a stack's edges are
rounded once each, so its parts always add up to its bar.

`weeks_back` and `months_back` give the bounded windows the features count in (the last
weeks from a Monday, the last months from a 1st), whatever day of the month it is.
"""
import datetime
import itertools

from markupsafe import Markup, escape

WIDTH, HEIGHT = 400, 220  # the viewBox; shown at the container's width
LEFT, RIGHT, TOP, BOTTOM = 44, 24, 18, 30  # room for the axis labels and totals
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
FONT, SMALL = 13, 12  # the labels; the totals above the bars
# Colours with at least 3:1 against white (graphics), each with its own pattern too.
STYLES = (("#1d5a85", None), ("#a64f00", "stripes"), ("#5b3f8c", "dots"),
          ("#3d5c2e", "cross"), ("#8a1f3d", "stripes-back"))
_ids = itertools.count(1)


def weeks_back(day, count):
    """The Mondays of the last `count` weeks, oldest first, the week of `day` last."""
    monday = day - datetime.timedelta(days=day.weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def week_of(day):
    return day - datetime.timedelta(days=day.weekday())


def months_back(day, count):
    """The 1sts of the last `count` months, oldest first, the month of `day` last."""
    firsts = []
    year, month = day.year, day.month
    for _ in range(count):
        firsts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def month_of(day):
    return datetime.date(day.year, day.month, 1)


def as_date(value):
    """A day as the database gives it back (SQLite: text; PostgreSQL: a date)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def nice_top(peak):
    """The top of the scale and its step: 4 steps or fewer of 1, 2 or 5 times a power of 10."""
    peak = max(int(peak), 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * 4 >= peak:
                return -(-peak // step) * step, step
        magnitude *= 10


def _pattern(pid, colour, kind):
    inner = {
        "stripes": '<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="#fff" '
                   'stroke-width="2"/>',
        "stripes-back": '<path d="M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2" stroke="#fff" '
                        'stroke-width="2"/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
        "cross": '<path d="M4,0 v8 M0,4 h8" stroke="#fff" stroke-width="1.5"/>',
    }[kind]
    return (f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{inner}</pattern>')


def _fill(chart_id, index):
    colour, kind = STYLES[index % len(STYLES)]
    return colour if kind is None else f"url(#{chart_id}-p{index})"


def _swatch(chart_id, index):
    return (f'<svg class="bar-chart-swatch" width="16" height="16" viewBox="0 0 16 16" '
            f'aria-hidden="true" focusable="false"><rect width="16" height="16" '
            f'fill="{_fill(chart_id, index)}" stroke="#222" stroke-width="1"/></svg>')


def layout(values, top):
    """Each bar's stack as (y, height) pixels from the plot's top, one per series."""
    stacks = []
    for column in values:
        edges, total, parts = [PLOT_H], 0, []
        for value in column:
            total += max(int(value), 0)
            edges.append(PLOT_H - total * PLOT_H // top)
            parts.append((edges[-1], edges[-2] - edges[-1]))
        stacks.append(parts)
    return stacks


def bars(title, description, labels, series, fmt=str, caption="", chart_id=None,
         axis="When", table_labels=None, short=None):
    """A stacked bar chart: `labels` along the bottom, `series` [(name, [value per label])].

    Values are integers (counts, cents); `fmt` writes one for people (the totals, the scale
    and the table). `table_labels` name the rows of the table and the description in full
    (the bottom of the chart has room for short labels only), and `short` writes a number
    on the chart itself when `fmt` is too long for it (the table keeps `fmt`). Nothing to
    draw (no labels, or every value 0) says so instead.
    """
    chart_id = chart_id or f"chart{next(_ids)}"
    long_labels = table_labels or labels
    short = short or fmt
    columns = [[values[i] for _, values in series] for i in range(len(labels))]
    totals = [sum(column) for column in columns]
    heading = f'<p class="bar-chart-title"><strong>{escape(title)}</strong></p>'
    if not labels or not any(value for column in columns for value in column):
        return Markup(f'<figure class="bar-chart bar-chart-empty" id="{chart_id}">{heading}'
                      f'<p>Nothing yet: no numbers to draw.</p></figure>')
    top, step = nice_top(max(max(sum(max(v, 0) for v in column) for column in columns), 1))
    stacks = layout(columns, top)
    slot = PLOT_W // len(labels)
    bar_w = max(slot * 2 // 3, 2)
    longest = max(len(str(label)) for label in labels)
    stride = max(1, -(-(longest * FONT * 6 // 10 + 4) // slot))  # label every nth bar
    summary = "; ".join(f"{label}: {fmt(total)}" for label, total in zip(long_labels, totals))
    svg = [f'<svg class="bar-chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
           f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'font-size="{FONT}" font-family="inherit">',
           f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(description)} {escape(summary)}</desc><defs>']
    for index, _ in enumerate(series):
        colour, kind = STYLES[index % len(STYLES)]
        if kind:
            svg.append(_pattern(f"{chart_id}-p{index}", colour, kind))
    svg.append(f'</defs><g transform="translate({LEFT},{TOP})">')
    for tick in range(0, top + 1, step):
        y = PLOT_H - tick * PLOT_H // top
        svg.append(f'<line x1="0" x2="{PLOT_W}" y1="{y}" y2="{y}" stroke="#c9cfd3" '
                   f'stroke-width="1"/><text x="-4" y="{y + 4}" text-anchor="end" '
                   f'fill="#333">{escape(short(tick))}</text>')
    for i, (label, parts) in enumerate(zip(labels, stacks)):
        x = i * slot + (slot - bar_w) // 2
        for index, (y, height) in enumerate(parts):
            if height > 0:
                svg.append(f'<rect x="{x}" y="{y}" width="{bar_w}" height="{height}" '
                           f'fill="{_fill(chart_id, index)}" stroke="#fff" stroke-width="1">'
                           f'<title>{escape(long_labels[i])}, {escape(series[index][0])}: '
                           f'{escape(fmt(columns[i][index]))}</title></rect>')
        if totals[i]:
            top_y = min(y for y, _ in parts)
            svg.append(f'<text x="{x + bar_w // 2}" y="{top_y - 4}" text-anchor="middle" '
                       f'fill="#222" font-size="{SMALL}">{escape(short(totals[i]))}</text>')
        if (len(labels) - 1 - i) % stride == 0:
            svg.append(f'<text x="{x + bar_w // 2}" y="{PLOT_H + 16}" text-anchor="middle" '
                       f'fill="#333">{escape(label)}</text>')
    svg.append(f'<line x1="0" x2="{PLOT_W}" y1="{PLOT_H}" y2="{PLOT_H}" stroke="#333"/>'
               '</g></svg>')
    legend = "".join(f'<li>{_swatch(chart_id, index)} {escape(name)}</li>'
                     for index, (name, _) in enumerate(series))
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name, _ in series)
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f"<td>{escape(fmt(value))}</td>" for value in column)
        + (f"<td>{escape(fmt(total))}</td>" if len(series) > 1 else "") + "</tr>"
        for label, column, total in zip(long_labels, columns, totals))
    total_head = '<th scope="col">In all</th>' if len(series) > 1 else ""
    note = f'<p class="bar-chart-caption">{escape(caption)}</p>' if caption else ""
    return Markup(
        f'<figure class="bar-chart" id="{chart_id}">{heading}{"".join(svg)}'
        f'<figcaption><ul class="bar-chart-legend">{legend}</ul>{note}</figcaption>'
        f'<details class="bar-chart-table"><summary>The numbers as a table</summary>'
        f'<div class="bar-chart-scroll" role="region" tabindex="0" '
        f'aria-label="{escape(title)}: the table">'
        f'<table class="mail-list"><caption class="visually-hidden">{escape(title)}</caption>'
        f'<thead><tr>'
        f'<th scope="col">{escape(axis)}</th>{head}{total_head}</tr></thead>'
        f'<tbody>{rows}</tbody></table></div></details></figure>')


def short_money(cents):
    """Cents for the inside of a chart: "$625", "$1.2k", "−$40" (the table has them exactly)."""
    sign = "\u2212" if cents < 0 else ""
    dollars = abs(int(cents)) // 100
    if dollars < 1000:
        return f"{sign}${dollars}"
    whole, tenth = divmod((dollars + 50) // 100, 10)  # to the nearest hundred dollars
    return f"{sign}${whole:,}k" if tenth == 0 else f"{sign}${whole:,}.{tenth}k"
