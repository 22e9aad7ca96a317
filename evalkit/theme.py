"""evalkit's one Altair theme: colour-blind-safe, readable sizes, plain fonts.

Registered (and enabled) on import as ``"evalkit"``. Palettes:

* categories: Okabe & Ito's colour-blind-safe palette;
* Likert levels (diverging, 5 levels): blue for agreement, orange-brown for disagreement,
  grey for the neutral middle — distinguishable in the common colour-vision deficiencies
  and in greyscale print.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt

OKABE_ITO: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
LIKERT_5: Final = ("#b35806", "#f1a340", "#d9d9d9", "#92c5de", "#2166ac")
DONT_KNOW: Final = "#9e9e9e"
SIGNAL_RED: Final = "#c0392b"
INK: Final = "#1d2733"
MUTED: Final = "#4a5563"
FONT: Final = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'
THEME_NAME: Final = "evalkit"


@alt.theme.register(THEME_NAME, enable=True)
def evalkit_theme() -> alt.theme.ThemeConfig:
    """The theme's config (a Vega-Lite ``config`` block)."""
    config: dict[str, Any] = {
        "config": {
            "font": FONT,
            # Marks are not announced one by one: each figure's caption says in words what
            # the chart shows, and its table holds every number (axe: svg-img-alt).
            "mark": {"aria": False},
            "rule": {"aria": False},
            "line": {"aria": False, "strokeWidth": 2},
            "background": "#ffffff",
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 260},
            "title": {"fontSize": 15, "anchor": "start", "color": INK, "fontWeight": 600},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "labelColor": INK,
                "titleColor": INK,
                "gridColor": "#e3e7ec",
                "domainColor": MUTED,
                "tickColor": MUTED,
                "labelLimit": 320,
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": INK, "titleColor": INK,
                       "orient": "bottom", "direction": "horizontal", "labelLimit": 260},
            "header": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": INK, "labelLimit": 320},
            "range": {"category": list(OKABE_ITO), "diverging": list(LIKERT_5)},
            "bar": {"continuousBandSize": 18},
            "text": {"fontSize": 12, "color": INK},
            "point": {"filled": True, "size": 40},
        }
    }
    return config  # type: ignore[return-value]
