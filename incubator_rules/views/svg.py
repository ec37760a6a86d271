"""Charts as inline SVG, drawn from the data (no plotting library), with Chinese labels in a CJK font."""

from __future__ import annotations

from html import escape
from typing import Sequence

# The first of these that the reader's browser or PDF engine has is used for every label.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
             "PingFang SC", "SimHei", "sans-serif")
FONT_FAMILY = ", ".join(f"'{f}'" if " " in f else f for f in CJK_FONTS)


def _nice_step(top: int) -> int:
    """A round step giving four to eight gridlines up to ``top``."""
    if top <= 0:
        return 1
    step = 1
    while top / step > 8:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 8:
                break
    return max(step, 1)


def wan_label(yuan: int) -> str:
    """An amount in 万元 for a label: 1,250,000 -> '125万', 12,345 -> '1.23万'."""
    value = yuan / 10000  # for a label only; the tables carry the exact yuan
    if value == int(value):
        return f"{int(value):,}万"
    return f"{value:,.2f}".rstrip("0").rstrip(".") + "万"


def bar_chart(bars: Sequence[tuple[str, int, int]], title: str, width: int = 640, height: int = 300) -> str:
    """Bars of awarded (solid) and pending (lighter, stacked above) yuan per label, with a 万元 axis.

    ``bars`` is (label, awarded, pending) in the order shown; the amounts are whole yuan.
    """
    left, right, top, bottom = 64, 16, 40, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([a + p for _, a, p in bars] or [0])
    step = _nice_step(peak) if peak else 1
    ceiling = max(step * -(-peak // step), step)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" font-family="{escape(FONT_FAMILY)}" font-size="12">',
           f"<title>{escape(title)}</title>",
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * tick / ceiling
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{escape(wan_label(tick))}</text>')
    n = max(len(bars), 1)
    slot = plot_w / n
    bar_w = min(slot * 0.6, 60)
    for i, (label, awarded, pending) in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        base = top + plot_h
        for amount, colour, kind in ((awarded, "#2f6fb0", "awarded"), (pending, "#9cc3e6", "pending")):
            if amount:
                h = plot_h * amount / ceiling
                base -= h
                out.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}" '
                           f'data-{kind}="{amount}"><title>{escape(label)}: {amount:,} 元</title></rect>')
        total = awarded + pending
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - 4:.1f}" text-anchor="middle">{escape(wan_label(total))}</text>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{escape(label)}</text>')
    legend_x = width - right - 200
    out.append(f'<rect x="{legend_x}" y="10" width="12" height="12" fill="#2f6fb0"/>'
               f'<text x="{legend_x + 16}" y="20">已兑现 awarded</text>'
               f'<rect x="{legend_x + 110}" y="10" width="12" height="12" fill="#9cc3e6"/>'
               f'<text x="{legend_x + 126}" y="20">待兑现 pending</text>')
    out.append("</svg>")
    return "".join(out)
