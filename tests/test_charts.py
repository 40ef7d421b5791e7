"""alma/charts.py: the SVG is valid, its bars are as tall as their numbers, the table says
the same, nothing to draw says so; the weeks and months it counts in stay put at month ends."""
import datetime
import xml.etree.ElementTree as ET

import pytest

from alma import charts
from alma.clock import today

SVG = "{http://www.w3.org/2000/svg}"
D = datetime.date


def svg_of(markup):
    """The <svg> of a chart, parsed (the whole figure is well-formed XML too)."""
    namespaced = str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    figure = ET.fromstring(namespaced)
    return figure, figure.find(f".//{SVG}svg")


def bars_of(svg):
    return [rect for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def test_it_is_valid_svg_with_a_title_a_description_and_role_img():
    figure, svg = svg_of(charts.bars("Sessions & fees <by month>", "What was logged.",
                                     ["Jan", "Feb"], [("Attended", [3, 5])]))
    assert svg.get("role") == "img"
    assert svg.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"
    assert svg.get("width") == "100%"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.text == "Sessions & fees <by month>"
    assert desc.text.startswith("What was logged.") and "Jan: 3; Feb: 5" in desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_bar_heights_are_proportional_to_the_numbers():
    values = [0, 2, 4, 8, 6]
    _, svg = svg_of(charts.bars("t", "d", list("abcde"), [("s", values)]))
    heights = [int(rect.get("height")) for rect in bars_of(svg)]
    assert len(heights) == 4  # a zero draws no bar
    top, _ = charts.nice_top(8)
    assert heights == [v * charts.PLOT_H // top for v in values if v]
    assert heights[2] == 2 * heights[1] == 4 * heights[0]
    # Every bar stands on the axis.
    assert {int(r.get("y")) + int(r.get("height")) for r in bars_of(svg)} == {charts.PLOT_H}


def test_a_stack_adds_up_to_its_bar_and_the_table_has_every_number():
    series = [("On time", [3, 1, 0]), ("Late", [1, 1, 7]), ("Not answered", [1, 0, 0])]
    figure, svg = svg_of(charts.bars("t", "d", ["W1", "W2", "W3"], series,
                                     table_labels=["Week 1", "Week 2", "Week 3"], axis="Week"))
    rects = bars_of(svg)
    by_x = {}
    for rect in rects:
        by_x.setdefault(int(rect.get("x")), []).append(rect)
    top, _ = charts.nice_top(7)
    for column, (x, parts) in zip([[3, 1, 1], [1, 1, 0], [0, 7, 0]], sorted(by_x.items())):
        assert sum(int(p.get("height")) for p in parts) == sum(column) * charts.PLOT_H // top
    # Not colour alone: each series has its own fill (a pattern for all but the first),
    # a legend in words, and each bar its total written above it.
    fills = {rect.find(f"{SVG}title").text.split(": ")[0].split(", ")[1]: rect.get("fill")
             for rect in rects}
    assert len(set(fills.values())) == 3 and fills["Late"].startswith("url(#")
    legend = ["".join(li.itertext()).strip() for li in figure.iter("li")]
    assert legend == ["On time", "Late", "Not answered"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"5", "2", "7"} <= set(texts)
    rows = [[cell.text for cell in row] for row in figure.iter("tr")]
    assert rows[0] == ["Week", "On time", "Late", "Not answered", "In all"]
    assert rows[1:] == [["Week 1", "3", "1", "1", "5"], ["Week 2", "1", "1", "0", "2"],
                        ["Week 3", "0", "7", "0", "7"]]


def test_money_is_written_by_the_formatter_given():
    figure, svg = svg_of(charts.bars("t", "d", ["Jan"], [("Paid", [12550])],
                                     fmt=lambda cents: f"${cents // 100}"))
    assert "$125" in [t.text for t in svg.iter(f"{SVG}text")]
    assert [c.text for c in list(figure.iter("tr"))[1]] == ["Jan", "$125"]


@pytest.mark.parametrize("labels,series", [([], []), (["Jan", "Feb"], [("s", [0, 0])]),
                                           (["Jan"], [("a", [0]), ("b", [0])])])
def test_nothing_to_draw_says_nothing_yet(labels, series):
    markup = str(charts.bars("Empty", "d", labels, series))
    ET.fromstring(markup)
    assert "Nothing yet" in markup and "<svg" not in markup and "<table" not in markup


def test_the_scale_is_round_and_holds_the_tallest_bar():
    assert charts.nice_top(1) == (1, 1)
    assert charts.nice_top(7) == (8, 2)
    assert charts.nice_top(13) == (15, 5)
    assert charts.nice_top(95) == (100, 50)
    assert charts.nice_top(123456) == (150000, 50000)
    for peak in range(1, 500):
        top, step = charts.nice_top(peak)
        assert top >= peak and top % step == 0 and top // step <= 4


def test_many_bars_label_every_other_one_and_keep_the_last():
    labels = [f"Week {n}" for n in range(12)]
    _, svg = svg_of(charts.bars("t", "d", labels, [("s", list(range(1, 13)))]))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Week 11" in texts and "Week 10" not in texts


@pytest.mark.parametrize("day,mondays", [
    (D(2028, 2, 29), [D(2028, 2, 14), D(2028, 2, 21), D(2028, 2, 28)]),
    (D(2026, 12, 31), [D(2026, 12, 14), D(2026, 12, 21), D(2026, 12, 28)]),
    (D(2027, 1, 3), [D(2026, 12, 14), D(2026, 12, 21), D(2026, 12, 28)]),  # a Sunday
    (D(2027, 1, 31), [D(2027, 1, 11), D(2027, 1, 18), D(2027, 1, 25)]),
])
def test_weeks_run_monday_to_sunday_whatever_the_month(day, mondays):
    assert charts.weeks_back(day, 3) == mondays
    assert charts.week_of(day) == mondays[-1]


@pytest.mark.parametrize("day,firsts", [
    (D(2028, 2, 29), [D(2027, 12, 1), D(2028, 1, 1), D(2028, 2, 1)]),
    (D(2026, 12, 31), [D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1)]),
    (D(2027, 1, 31), [D(2026, 11, 1), D(2026, 12, 1), D(2027, 1, 1)]),
    (D(2027, 3, 31), [D(2027, 1, 1), D(2027, 2, 1), D(2027, 3, 1)]),
])
def test_months_are_whole_months_whatever_the_day(day, firsts):
    assert charts.months_back(day, 3) == firsts
    assert charts.month_of(day) == firsts[-1]


def test_twelve_months_back_from_today_are_twelve_different_months():
    firsts = charts.months_back(today(), 12)
    assert len(set(firsts)) == 12 and firsts[-1] == charts.month_of(today())
    assert all(first.day == 1 for first in firsts) and firsts == sorted(firsts)


def test_money_inside_a_chart_is_short_and_exact_in_the_table():
    assert [charts.short_money(c) for c in (0, 62500, 99999, 120000, 125050, -4000)] == [
        "$0", "$625", "$999", "$1.2k", "$1.3k", "\u2212$40"]
    figure, svg = svg_of(charts.bars("t", "d", ["Jan"], [("Paid", [125050])],
                                     fmt=lambda c: f"${c / 100:,.2f}", short=charts.short_money))
    assert "$1.3k" in [t.text for t in svg.iter(f"{SVG}text")]
    assert [c.text for c in list(figure.iter("tr"))[1]] == ["Jan", "$1,250.50"]
