"""The report's charts: each a pure data function and a figure drawn from exactly that data.

``chart_x_data(results)`` returns the numbers ``chart_x(results)`` plots, as a DataFrame, so
tests can hold every plotted number against the results frames. Figures are built on
:class:`matplotlib.figure.Figure` directly (the Agg canvas), never through ``pyplot``: no
backend is switched and no global figure registry is touched, at import or later. Styling
is applied in a ``rc_context`` reset to matplotlib's defaults, so a user's matplotlibrc
cannot change the output, and PNGs are written without a Software stamp: the same results
give byte-identical files.

Every architecture keeps one colour in every chart (:func:`palette`); time axes are in
minutes, with the traffic spike shaded grey and fixed fault windows shaded red. Per-window
numbers are means over replications; distributions (CDFs) pool the replications' orders.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim.shading import disturbance_windows  # noqa: F401  (placeholder, replaced below)
