"""`joints.png`: one small plot per dimension of the 14-D vector (the layout of the EVA paper's
Figure 2): the decoded plan, the filtered plan and, where the plan ran, the measured joints.

matplotlib is imported when a plot is drawn, and only its object API with the Agg canvas is used (no
pyplot: no global figure state, safe from any thread, no display needed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_LIMIT_COLOUR = "#d62728"  # shading beyond a position limit
_WINDOW_COLOUR = "#2ca02c"  # shading of the plan's window (the span it was due to run)


def plot_joints(
    path: Path,
    *,
    joint_names: tuple[str, ...],
    position_min: np.ndarray,
    position_max: np.ndarray,
    plan_dt: float,
    decoded: np.ndarray | None,
    filtered: np.ndarray | None,
    measured_t: np.ndarray,
    measured_q: np.ndarray,
    window_s: float,
    title: str,
) -> None:
    """Write the plot to `path` (PNG). Plans are `[T, D]` at `plan_dt`, from t = 0 at the plan's start;
    `measured_t` is in seconds from the same start. Limits are shaded; the y range follows the data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dims = len(joint_names)
    cols = (dims + 1) // 2 if dims > 7 else dims
    rows = -(-dims // cols)
    fig = Figure(figsize=(2.1 * cols, 2.0 * rows + 0.8), dpi=80)  # a fixed layout: constrained layout costs seconds
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    handles = {}
    for d in range(rows * cols):
        ax = axes[d // cols][d % cols]
        if d >= dims:
            ax.set_visible(False)
            continue
        values = []
        if window_s > 0:
            ax.axvspan(0.0, window_s, color=_WINDOW_COLOUR, alpha=0.08, lw=0)
        # The filtered plan is drawn first (wide), the decoded one dashed over it: both show where equal.
        for name, plan, style in (
            ("filtered", filtered, dict(lw=2.2, color="C1", alpha=0.8)),
            ("decoded", decoded, dict(ls="--", lw=1.0, color="C0")),
        ):
            if plan is not None and len(plan):
                (line,) = ax.plot(np.arange(len(plan)) * plan_dt, plan[:, d], **style)
                handles[name] = line
                values.append(plan[:, d])
        if len(measured_t):
            (line,) = ax.plot(measured_t, measured_q[:, d], lw=0.9, color="k", alpha=0.8)
            handles["measured"] = line
            values.append(measured_q[:, d])
        lo, hi = float(position_min[d]), float(position_max[d])
        finite = np.concatenate(values)[np.isfinite(np.concatenate(values))] if values else np.empty(0)
        if finite.size:
            top, bottom = float(finite.max()), float(finite.min())
        else:
            top, bottom = hi, lo
        margin = max(0.1 * (top - bottom), 0.02 * max(hi - lo, 1e-3))
        y0, y1 = bottom - margin, top + margin
        ax.axhspan(hi, max(y1, hi) + 1.0, color=_LIMIT_COLOUR, alpha=0.15, lw=0)
        ax.axhspan(min(y0, lo) - 1.0, lo, color=_LIMIT_COLOUR, alpha=0.15, lw=0)
        ax.set_ylim(y0, y1)
        ax.set_title(joint_names[d], fontsize=8)
        ax.tick_params(labelsize=6)
        ax.locator_params(nbins=4)
        if d // cols == rows - 1:
            ax.set_xlabel("s from the plan's start", fontsize=7)
    if handles:
        fig.legend(
            list(handles.values()), list(handles), loc="lower center", ncols=len(handles), fontsize=8, frameon=False
        )
    fig.suptitle(title, fontsize=10)
    height_in = fig.get_figheight()
    bottom, top = 0.8 / height_in + 0.02, 1 - 0.5 / height_in  # room for the legend and the title
    fig.subplots_adjust(left=0.04, right=0.99, bottom=bottom, top=top, wspace=0.4, hspace=0.35)
    fig.savefig(path, format="png")
