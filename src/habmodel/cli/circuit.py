"""``habmodel circuit``: the LHb -> RMTg -> VTA circuit for one condition (docs/circuit.md)."""

from __future__ import annotations

from .. import __version__
from ..io import toml_line, write_error, write_folder
from .common import (
    UsageError,
    add_out_options,
    check_out,
    fail,
    integer,
    model_inputs,
    pairs,
)

__all__ = ["add_circuit"]


def add_circuit(sub) -> None:
    from .common import add_model_options

    p = sub.add_parser(
        "circuit", help="the LHb -> RMTg -> VTA circuit: spikes of the three populations and "
        "the dopamine readout",
        description="Simulate an LHb population (habmodel's cell, jittered, fast engine) and "
        "the RMTg GABA and VTA dopamine populations it drives (Brian2), and write spikes.csv "
        "(arm, population, cell, time_s), summary.csv (rates, burst fractions, dopamine "
        "readout, LHb synchrony), pauses.csv (the dopamine pause after synchronous LHb "
        "volleys of 1 and 5 pulses, every 0.5 s), params.toml and circuit.png to --out. "
        "With --task reward: a reward task (cue, then the expected reward, no reward, a larger "
        "reward or a punishment) in control, depressed and depressed + ketamine, with the "
        "dorsal raphe's serotonin; writes task.csv, params.toml and task.png "
        "(docs/reward_task.md).")
    add_model_options(p, cells=False)
    p.add_argument("--lhb-cells", default=None, metavar="N",
                   help="LHb cells (default 100; 40 per condition with --task)")
    p.add_argument("--rmtg-cells", default="100", metavar="N", help="RMTg cells (default 100)")
    p.add_argument("--vta-cells", default="100", metavar="N", help="VTA cells (default 100)")
    p.add_argument("--circuit", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter of the downstream circuit, e.g. w_gaba=0.5 (repeatable; "
                   "habmodel.circuit.CircuitParameters lists them with their units in the "
                   "names)")
    p.add_argument("--rate-matched", action="store_true",
                   help="also run the same LHb spike counts as tonic trains (burst coding "
                   "against rate coding)")
    p.add_argument("--task", default=None, choices=("reward",),
                   help="run a task instead: 'reward' (prediction errors, dopamine and "
                   "serotonin; docs/reward_task.md)")
    p.add_argument("--trials", default=None, metavar="N",
                   help="with --task: trials of each trial type (default 5)")
    add_out_options(p, "spikes.csv, summary.csv, pauses.csv, params.toml and circuit.png "
                    "(with --task reward: task.csv, params.toml and task.png)")
    p.add_argument("--quiet", action="store_true", help="print nothing unless there is an error")
    p.set_defaults(handler=_circuit)


def _circuit_params(args, base=None):
    from ..circuit import DEFAULT_CIRCUIT

    base = DEFAULT_CIRCUIT if base is None else base
    changes = {}
    fields = base.as_dict()
    for name, text in pairs("--circuit", args.circuit, "w_gaba=0.5").items():
        if name not in fields:
            raise UsageError(f"--circuit: unknown parameter '{name}' (known: "
                             f"{', '.join(sorted(fields))})")
        try:
            value = type(fields[name])(float(text)) if isinstance(fields[name], int) \
                else float(text)
        except ValueError:
            raise UsageError(f"--circuit {name}: expected a number, got '{text}'") from None
        if value < 0 or value != value:
            raise UsageError(f"--circuit {name}: expected a number >= 0, got '{text}'")
        changes[name] = value
    for option, name in (("--rmtg-cells", "n_rmtg"), ("--vta-cells", "n_vta")):
        changes[name] = integer(option, getattr(args, name.replace("n_", "") + "_cells"),
                                1, 10_000)
    return base.with_(**changes)


def _circuit(args, argv) -> int:
    from ..circuit import CircuitArm, run_circuit

    if args.task is not None:
        from .task import run_task_command

        return run_task_command(args, argv, _circuit_params)
    if args.trials is not None:
        raise UsageError("--trials: only with --task reward")
    if args.jitter is None:
        args.jitter = "0.2"
    inputs = model_inputs(args, cells=False)
    n_lhb = integer("--lhb-cells", args.lhb_cells or "100", 1, 10_000)
    params = _circuit_params(args)
    out = check_out(args.out, args.overwrite)
    drugs = inputs.get("drugs") or {}
    label = inputs["condition"] + "".join(f" + {k} {v}" for k, v in drugs.items())
    arms = [CircuitArm(label, inputs["condition"], drugs)]
    if args.rate_matched:
        arms.append(CircuitArm(f"{label}, rate-matched tonic", inputs["condition"], drugs,
                               tonic_like=label))
    try:
        result = run_circuit(arms, n_lhb=n_lhb, duration=inputs["duration"],
                             seed=inputs["seed"], jitter=inputs["jitter"], params=params,
                             overrides=inputs["overrides"] or None, warmup=inputs["warmup"],
                             volleys=(1, 5))
        pauses = result.pauses
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        write_folder(out, lambda folder: _fill(folder, result, pauses, inputs, n_lhb, argv),
                     overwrite=args.overwrite)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    if not args.quiet:
        s = result.summary
        for arm in dict.fromkeys(s["arm"]):
            rates = s[s["arm"] == arm].set_index("population")
            print(f"{arm}: LHb {rates.loc['LHb', 'rate_hz']:.2f} Hz "
                  f"(bursts {rates.loc['LHb', 'burst_fraction']:.0%} of spikes), "
                  f"RMTg {rates.loc['RMTg', 'rate_hz']:.2f} Hz, VTA "
                  f"{rates.loc['VTA', 'rate_hz']:.2f} Hz, dopamine "
                  f"{rates.loc['VTA', 'dopamine_nM']:.2f} nM")
            for _, row in pauses[pauses["arm"] == arm].iterrows():
                print(f"  dopamine pause after a synchronous LHb volley of {row['n_pulses']} "
                      f"pulse(s): {row['pause_ms']:.0f} ms")
        print(f"wrote {out}/")
    return 0


def _fill(folder, result, pauses, inputs, n_lhb, argv) -> None:
    from ..plotting.circuit import plot_circuit
    from ..plotting.layout import save_figure

    result.spikes_table().to_csv(folder / "spikes.csv", index=False)
    result.summary.to_csv(folder / "summary.csv", index=False)
    pauses.to_csv(folder / "pauses.csv", index=False)
    run = {"habmodel": __version__, "command": " ".join(["habmodel", *argv]),
           "condition": inputs["condition"], "lhb_cells": n_lhb,
           "duration": inputs["duration"], "warmup": inputs["warmup"],
           "seed": inputs["seed"], "jitter": inputs["jitter"]}
    lines = ["# habmodel circuit: everything needed to repeat this run", "", "[run]"]
    lines += [toml_line(k, v) for k, v in run.items()]
    lines += ["", "[drugs]"] + [toml_line(k, v) for k, v in
                                (inputs.get("drugs") or {}).items()]
    lines += ["", "[lhb_overrides]"] + [toml_line(k, v) for k, v in
                                        (inputs["overrides"] or {}).items()]
    lines += ["", "[circuit]"] + [toml_line(k, v) for k, v in
                                  result.params.as_dict().items()]
    (folder / "params.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fig = plot_circuit(result.spikes, result.da_t_s, result.da_nM,
                       window=(0.0, min(2.0, result.duration_s)))
    save_figure(fig, folder / "circuit", formats=("png",))


