"""A run's metrics: one JSON object per line in `metrics.jsonl` (append-only, so a resumed run
continues the same file), and loss curves drawn from it as PNG."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


class MetricsLog:
    """Append rows to `path` (flushed at once: a crash loses nothing written); a no-op when disabled
    (processes other than the main one under accelerate)."""

    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self._file = path.open("a") if enabled else None

    def __call__(self, row: dict) -> None:
        if self._file:
            self._file.write(json.dumps(row) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_series(out: Path, panels: Sequence[tuple[str, str, Sequence[tuple[str, list, list]]]], log_y: Sequence[bool] = ()) -> None:
    """One figure, a panel per (title, y label, [(label, steps, values), ...]); saved as PNG at `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for i, (ax, (title, ylabel, series)) in enumerate(zip(axes[0], panels)):
        for label, xs, ys in series:
            if xs:
                ax.plot(xs, ys, "o-" if len(xs) < 30 else "-", label=label, markersize=3)
        ax.set(xlabel="step", ylabel=ylabel, title=title)
        if i < len(log_y) and log_y[i]:
            ax.set_yscale("log")
        if any(xs for _, xs, _ in series):
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
