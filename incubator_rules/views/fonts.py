"""A font with Chinese glyphs for charts (matplotlib, the ``notebook`` extra), found without being told.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs, and its cached
list of fonts may predate a font installed since. ``cjk_font`` looks for a
known Chinese font among the fonts matplotlib knows, then among the system's
font files (adding them to matplotlib), and otherwise raises MissingFontError
naming what to install. ``docs/views.md`` says why Debian's ``fonts-noto-cjk``
is the one the project installs.
"""

from __future__ import annotations

import functools
from typing import Any

from ..errors import MissingExtraError, require

# Families with the Simplified Chinese glyphs, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "SimHei", "Noto Sans CJK JP",
    "Droid Sans Fallback", "Arial Unicode MS",
)
# Font files whose name says they hold CJK glyphs.
_FILE_HINTS = ("cjk", "sourcehansans", "wqy", "wenquanyi", "simhei", "msyh", "pingfang", "droidsansfallback")
INSTALL_HINT = (
    "no font with Chinese glyphs was found for charts; install one, e.g. on Debian or Ubuntu: "
    "apt-get install fonts-noto-cjk (or any of: " + ", ".join(CJK_FAMILIES[:6]) + ")"
)


class MissingFontError(MissingExtraError):
    """No font with Chinese glyphs is installed; the message names what to install."""


def _known(font_manager: Any) -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed font with Chinese glyphs; raises MissingFontError when there is none."""
    fm = require("matplotlib.font_manager", "Charts")
    for family in CJK_FAMILIES:
        if family in _known(fm):
            return family
    for path in fm.findSystemFonts():
        if any(hint in path.lower().replace("-", "").replace("_", "") for hint in _FILE_HINTS):
            try:
                fm.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # an unreadable font file is skipped, not fatal
    names = _known(fm)
    for family in CJK_FAMILIES:
        if family in names:
            return family
    raise MissingFontError(INSTALL_HINT)


def families() -> list[str]:
    """The font family list for chart text: the Chinese font first, matplotlib's default after it."""
    return [cjk_font(), "DejaVu Sans"]


def apply(figure: Any) -> Any:
    """Set every text of a matplotlib figure (titles, labels, ticks, legends) in the Chinese font."""
    text = require("matplotlib.text", "Charts")
    chosen = families()
    for item in figure.findobj(text.Text):
        item.set_fontfamily(chosen)
    for ax in figure.axes:
        ax.tick_params(labelfontfamily=chosen)
    return figure
