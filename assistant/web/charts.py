"""The Insights page's picture: what a person did per day or week, as numbers the SVG template
draws (``templates/chart.svg.html``).

The geometry is worked out here and the markup written by Jinja2, so every label is escaped like
any other text on the page, and the chart needs no script (the Content-Security-Policy allows
none inline, and a chart library would be one more thing to vendor).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# What is drawn, in order within each day's or week's group: the key in the history's counts, the
# legend's words and the CSS class that colours it (app.css).
SERIES = (("turns", "turns", "s-turns"), ("play", "plays", "s-plays"), ("like", "likes", "s-likes"))
SPANS = {"day": 30, "week": 12}  # buckets shown: the last 30 days, or the last 12 weeks
WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 10, 26  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str  # the tooltip: "week of 6 May: 4 likes"


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]  # under the bars, every few groups
    top: int  # the value at the top of the scale
    totals: tuple[tuple[str, str, int], ...]  # (legend words, css, total in the span)
    baseline: float
    empty: bool  # nothing at all in the span

    @property
    def summary(self) -> str:
        """The chart in words, for screen readers."""
        return ", ".join(f"{total} {words}" for words, _, total in self.totals)


def buckets(by: str, today: dt.date) -> list[dt.date]:
    """The first day of each day or week (Monday) shown, oldest first."""
    count = SPANS[by]
    if by == "day":
        return [today - dt.timedelta(days=n) for n in range(count - 1, -1, -1)]
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def activity_chart(days: dict[str, dict[str, int]], by: str, today: dt.date) -> Chart:
    """The chart of ``days`` (``HistoryStore.daily_activity``) per ``by`` ("day" or "week")."""
    starts = buckets(by, today)
    step = dt.timedelta(days=1 if by == "day" else 7)
    counts = [{key: 0 for key, _, _ in SERIES} for _ in starts]
    for day, kinds in days.items():
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            continue
        for i, start in enumerate(starts):
            if start <= when < start + step:
                for key in counts[i]:
                    counts[i][key] += kinds.get(key, 0)
                break
    top = max(1, max(max(c.values()) for c in counts))
    top = _round_up(top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / len(starts)
    bar_w = group * 0.8 / len(SERIES)
    bars, labels = [], []
    every = 5 if by == "day" else 2
    for i, (start, count) in enumerate(zip(starts, counts, strict=True)):
        when = f"{start.day} {start:%b}" if by == "day" else f"week of {start.day} {start:%b}"
        for j, (key, words, css) in enumerate(SERIES):
            value = count[key]
            height = plot_h * value / top
            x = LEFT + i * group + group * 0.1 + j * bar_w
            bars.append(Bar(round(x, 1), round(TOP + plot_h - height, 1), round(bar_w, 1), round(height, 1),
                            css, f"{when}: {value} {counted(words, value)}"))  # fmt: skip
        if (len(starts) - 1 - i) % every == 0:  # the newest group is always labelled
            labels.append(Label(round(LEFT + (i + 0.5) * group, 1), HEIGHT - 8, f"{start.day} {start:%b}"))
    sums = {key: sum(c[key] for c in counts) for key, _, _ in SERIES}
    totals = tuple((counted(words, sums[key]), css, sums[key]) for key, words, css in SERIES)
    return Chart(WIDTH, HEIGHT, tuple(bars), tuple(labels), top, totals, TOP + plot_h,
                 empty=not any(t for _, _, t in totals))  # fmt: skip


def _round_up(value: int) -> int:
    """A round number at or above ``value`` for the top of the scale (1, 2, 5, 10, 20, 50, ...)."""
    magnitude = 1
    while True:
        for nice in (1, 2, 5):
            if nice * magnitude >= value:
                return nice * magnitude
        magnitude *= 10


def counted(words: str, n: int) -> str:
    """ "1 like", "2 likes": the series' plural name, singular for one."""
    return words[:-1] if n == 1 and words.endswith("s") else words
