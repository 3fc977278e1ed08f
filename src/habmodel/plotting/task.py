"""The reward task's figure: trial-averaged LHb, dopamine and serotonin per condition
(plain tables in, a Figure out; no pyplot)."""

from __future__ import annotations

from matplotlib.figure import Figure

from . import style

__all__ = ["TRIAL_COLORS", "plot_task"]

#: One colour per trial type (Paul Tol's bright set): the reference trial in grey.
TRIAL_COLORS = {"expected reward": style.GREY, "omitted reward": "#EE6677",
                "larger reward": "#228833", "punishment": "#AA3377"}

_ROWS = (("LHb rate", "LHb (Hz per cell)"), ("dopamine", "dopamine (nM)"),
         ("serotonin", "serotonin (nM)"))


@style.styled
def plot_task(courses, *, cue_s: float, outcome_s: float, response_s: float,
              conditions=None, rows=_ROWS,
              title: str = "Disappointment in the circuit: LHb, dopamine and serotonin") -> Figure:
    """One column per condition, one row per signal (LHb rate, dopamine and serotonin
    readouts by default), one line per trial type, averaged over trials.

    Parameters
    ----------
    courses : pandas.DataFrame
        Tidy time courses, ``condition, trial_type, signal, t_s, value``
        (:meth:`habmodel.circuit.TaskResult.time_courses`).
    cue_s, outcome_s, response_s
        The cue and the outcome (s from the trial's start, dotted lines) and the length of
        the outcome's response window (shaded).
    rows : sequence of (signal, axis label)
    """
    conditions = list(dict.fromkeys(courses["condition"])) if conditions is None \
        else list(conditions)
    fig = Figure(figsize=(4.2 * len(conditions) + 0.8, 2.4 * len(rows) + 0.9),
                 layout="constrained")
    axes = fig.subplots(len(rows), len(conditions), sharex=True, sharey="row", squeeze=False)
    for col, condition in enumerate(conditions):
        data = courses[courses["condition"] == condition]
        for row, (signal, label) in enumerate(rows):
            ax = axes[row][col]
            ax.axvspan(outcome_s, outcome_s + response_s, color="#EEEEEE", zorder=0)
            for x, text in ((cue_s, "cue"), (outcome_s, "outcome")):
                ax.axvline(x, color=style.GREY, ls=":", lw=1)
                if row == 0:
                    ax.text(x, 1.0, text, transform=ax.get_xaxis_transform(), ha="center",
                            va="bottom", fontsize="x-small", color=style.GREY)
            for kind, color in TRIAL_COLORS.items():
                part = data[(data["trial_type"] == kind) & (data["signal"] == signal)]
                if len(part):
                    ax.plot(part["t_s"], part["value"], color=color, lw=1.6, label=kind)
            if col == 0:
                ax.set_ylabel(label)
            if row == len(rows) - 1:
                ax.set_xlabel("time in trial (s)")
        axes[0][col].set_title(condition, fontsize="medium", pad=14)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
               fontsize="small", frameon=False)
    fig.suptitle(title)
    return fig
