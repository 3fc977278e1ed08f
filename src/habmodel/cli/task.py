"""``habmodel circuit --task reward``: the reward task in the circuit (docs/reward_task.md)."""

from __future__ import annotations

from .. import __version__
from ..io import toml_line, write_error, write_folder
from .common import UsageError, check_out, fail, fraction, integer, pairs, require_unit

__all__ = ["run_task_command"]

#: Options of ``habmodel circuit`` that the task does not use (it sets its own conditions,
#: duration and LHb cells): given with --task, they are an error rather than ignored.
_NOT_WITH_TASK = ("condition", "params", "set", "duration", "warmup", "ketamine_model",
                  "rate_matched")


def run_task_command(args, argv, circuit_params) -> int:
    """Check the options, run :func:`habmodel.circuit.run_task`, write the folder."""
    from ..circuit import TASK_CIRCUIT, run_task

    for name in _NOT_WITH_TASK:
        if getattr(args, name, None) not in (None, [], False):
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option}: not used with --task {args.task} (the task runs "
                             "control, depressed and depressed + ketamine; its length is set "
                             "by --trials)")
    drugs = pairs("--drug", args.drug, "ketamine=1uM")
    unknown = sorted(set(drugs) - {"ketamine"})
    if unknown:
        raise UsageError(f"--drug: only ketamine (the dose of 'depressed + ketamine') with "
                         f"--task {args.task}, got '{unknown[0]}'")
    for name, text in drugs.items():
        require_unit("--drug", name, text)
    ketamine = drugs.get("ketamine", "1 uM")
    n_lhb = integer("--lhb-cells", args.lhb_cells or "40", 1, 10_000)
    n_trials = integer("--trials", args.trials or "5", 1, 200)
    seed = integer("--seed", args.seed or "2026", 0, 2**63 - 1)
    jitter = fraction("--jitter", args.jitter or "0.2")
    params = circuit_params(args, TASK_CIRCUIT)
    out = check_out(args.out, args.overwrite)
    try:
        result = run_task(n_trials=n_trials, n_lhb=n_lhb, seed=seed, ketamine=ketamine,
                          jitter=jitter, params=params)
    except ValueError as err:
        message = str(err).replace("ketamine:", "--drug ketamine:", 1) \
            if str(err).startswith("ketamine:") else str(err)
        raise UsageError(message) from None
    run = {"habmodel": __version__, "command": " ".join(["habmodel", *argv]),
           "task": args.task, "conditions": ", ".join(result.conditions),
           "ketamine": ketamine, "trials_per_type": n_trials, "lhb_cells": n_lhb,
           "seed": seed, "jitter": jitter, "pe_current_pA": result.pe_current_pA,
           "pe_duration_ms": result.pe_duration_s * 1e3}
    try:
        write_folder(out, lambda folder: _fill(folder, result, run), overwrite=args.overwrite)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    if not args.quiet:
        t = result.table.set_index(["condition", "trial_type", "measure"])
        for condition in result.conditions:
            da, ht = (t.loc[(condition, "expected reward", m), "baseline"]
                      for m in ("dopamine", "serotonin"))
            print(f"{condition}: dopamine {da:.1f} nM, serotonin {ht:.1f} nM before the cue")
            for kind in ("omitted reward", "larger reward", "punishment"):
                lhb, da, ht = (t.loc[(condition, kind, m), "change"]
                               for m in ("LHb rate", "dopamine", "serotonin"))
                print(f"  {kind}: LHb {lhb:+.1f} Hz, dopamine {da:+.2f} nM, "
                      f"serotonin {ht:+.2f} nM")
        print(f"wrote {out}/")
    return 0


def _fill(folder, result, run: dict) -> None:
    from ..plotting.layout import save_figure
    from ..plotting.task import plot_task

    result.table.to_csv(folder / "task.csv", index=False)
    timing = result.timing
    lines = ["# habmodel circuit --task: everything needed to repeat this run", "", "[run]"]
    lines += [toml_line(k, v) for k, v in run.items()]
    lines += ["", "[timing]"] + [toml_line(k, v) for k, v in vars(timing).items()
                                 if not isinstance(v, tuple)]
    lines += [toml_line("baseline_start_s", timing.baseline_s[0]),
              toml_line("baseline_stop_s", timing.baseline_s[1])]
    lines += ["", "[circuit]"] + [toml_line(k, v) for k, v in result.params.as_dict().items()]
    lines += ["", "[raphe]"] + [toml_line(k, v) for k, v in result.raphe.as_dict().items()]
    (folder / "params.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fig = plot_task(result.time_courses(), cue_s=timing.cue_s, outcome_s=timing.outcome_s,
                    response_s=result.pe_duration_s)
    save_figure(fig, folder / "task", formats=("png",))
