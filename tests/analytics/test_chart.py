"""The dashboard's chart: a pure function from a series to SVG with axes and labels."""

from __future__ import annotations

import re

from weshop.analytics.chart import ChartPoint, ChartText, bar_line_chart, nice_step, yuan_tick

TEXT = ChartText(
    title="Paid <GMV>", description="30 days & more", amount_name="GMV", count_name="Orders"
)


def test_steps_are_round_and_reach_the_top() -> None:
    assert [nice_step(n) for n in (0, 1, 4, 5, 9, 10, 37, 100, 101, 960)] == [
        1, 1, 1, 2, 5, 5, 10, 25, 50, 250,
    ]  # fmt: skip
    for top in range(0, 5000, 7):
        step = nice_step(top)
        assert step * 4 >= top and step >= 1


def test_yuan_ticks_are_whole_yuan_and_wan() -> None:
    assert yuan_tick(0) == "¥0"
    assert yuan_tick(123456) == "¥1,234"
    assert yuan_tick(100_000_00) == "¥10万"
    assert yuan_tick(125_000_00) == "¥12.5万"


def test_the_svg_has_a_bar_and_a_point_per_day_axes_and_a_legend() -> None:
    points = [ChartPoint(f"05-{d:02d}", amount_fen=d * 1000, count=d % 4) for d in range(1, 31)]
    svg = str(bar_line_chart(points, TEXT, chart_id="c"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="c-title">Paid &lt;GMV&gt;</title>' in svg
    assert "30 days &amp; more" in svg
    assert len(re.findall(r"<rect x=", svg)) == 30 + 1  # 30 bars and the legend's swatch
    assert len(re.findall(r"<circle ", svg)) == 30
    assert "¥0" in svg and "¥300" in svg  # left axis: 4 steps of ¥75 reach ¥300
    assert ">05-01<" in svg and ">05-30<" in svg  # first and last day are labelled
    assert "GMV (¥)" in svg and ">Orders<" in svg


def test_an_empty_series_still_draws_axes() -> None:
    svg = str(bar_line_chart([ChartPoint("06-01", 0, 0)], TEXT, chart_id="c"))
    assert "¥0" in svg and "<polyline" in svg
