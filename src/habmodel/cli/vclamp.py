"""``habmodel vclamp``: the voltage-clamp lab on the command line (docs/vclamp.md).

::

    habmodel vclamp --condition control --hold -100mV --steps -90,-70,-50,-30mV \\
        --duration 200ms [--tail -60mV] [--drug mibefradil=2uM] [--set g_T=2mS/cm2] \\
        [--part FILE] --out DIR
    habmodel vclamp --protocol t-current --out DIR

writes ``currents.csv`` (one row per cell and sample: every membrane current, pA, inward
negative), ``iv.csv`` (peak, steady and tail current of each step), ``params.toml`` and
``vclamp.png``. Same conventions as ``simulate``: every value with a dimension carries its
unit, bad input exits 2 with one line, the folder appears atomically.
"""

from __future__ import annotations

from .. import __version__
from ..io import format_quantity, toml_line, write_error, write_folder
from .common import (
    UsageError,
    add_engine_options,
    add_out_options,
    add_part_option,
    cell_option,
    check_out,
    engine_inputs,
    fail,
    integer,
    one_cell_inputs,
    tagged,
)

__all__ = ["add_vclamp"]

#: The ready-made protocols (habmodel.experiments.VCLAMP_PROTOCOLS; listed here so that
#: building the parser stays light; a test keeps the two lists equal).
PROTOCOLS = ("nmda-iv", "ketamine-use", "t-current", "h-activation")


def add_vclamp(sub) -> None:
    from ..model.equations import KETAMINE_MODELS

    p = sub.add_parser(
        "vclamp", help="voltage-clamp the cell: hold, steps, tail; every membrane current",
        description="Voltage-clamp the model cell (an ideal clamp: one compartment, no series "
        "resistance) and write currents.csv (every membrane current of every step, pA, inward "
        "negative), iv.csv (peak, steady and tail current per step), params.toml and "
        "vclamp.png to --out. One cell per step potential. Potentials and times need their "
        "unit (-70mV, 200ms). Ready-made protocols: " + ", ".join(PROTOCOLS) + ".")
    p.add_argument("--protocol", default=None, metavar="NAME",
                   help=f"a ready-made protocol ({', '.join(PROTOCOLS)}); --steps and "
                   "--duration then replace its own")
    p.add_argument("--condition", default=None,
                   help="named condition (default control)")
    p.add_argument("--hold", default=None, metavar="V", help="holding potential (default -70mV)")
    p.add_argument("--steps", default=None, metavar="V1,V2,...",
                   help="step potentials, one cell each, e.g. -90,-70,-50mV")
    p.add_argument("--duration", default=None, metavar="TIME",
                   help="length of each step (default 200ms)")
    p.add_argument("--tail", default=None, metavar="V",
                   help="potential after each step (default: the holding potential)")
    p.add_argument("--tail-duration", default=None, metavar="TIME",
                   help="time at the tail potential after each step (default 100ms)")
    p.add_argument("--pre", default=None, metavar="TIME",
                   help="recorded time at the holding potential before the first step "
                   "(default 100ms)")
    p.add_argument("--repeats", default=None, metavar="N",
                   help="step + tail cycles (default 1)")
    p.add_argument("--glutamate", default=None, metavar="steps|T1,T2,...",
                   help="glutamate puffs: 'steps' (at every step onset) or times from the start "
                   "of the recording, e.g. 150,650ms")
    p.add_argument("--puff-events", default=None, metavar="N",
                   help="glutamate events per puff (default 50: about 40%% of the NMDA "
                   "channels open)")
    p.add_argument("--open-fraction", default=None, metavar="S",
                   help="a fixed NMDA open fraction s in [0, 1] (glutamate in the bath)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a model parameter, e.g. Mg_o=0mM (repeatable)")
    p.add_argument("--drug", action="append", default=[], metavar="NAME=CONC",
                   help="a drug and its concentration, e.g. ketamine=10uM (repeatable)")
    p.add_argument("--ketamine-model", default=None, choices=KETAMINE_MODELS,
                   help="how ketamine blocks NMDA receptors (default hill; trapping: kinetic, "
                   "use dependent)")
    p.add_argument("--seed", default="0", metavar="SEED",
                   help="seed of the spontaneous glutamate input (with --set nu_glu=...)")
    p.add_argument("--settle", default=None, metavar="TIME",
                   help="unrecorded time at the holding potential first (default 0.5s)")
    p.add_argument("--record-dt", default=None, metavar="TIME",
                   help="sampling interval of currents.csv (default 0.1ms, coarser for long "
                   "clamps)")
    p.add_argument("--current", default=None, metavar="NAME",
                   help="the current the figure shows (default: the protocol's, else I_total)")
    add_part_option(p)
    add_out_options(p, "currents.csv, iv.csv, params.toml and vclamp.png")
    add_engine_options(p)
    p.set_defaults(handler=_vclamp)


def _quantity(option: str, text: str, unit: str) -> str:
    """``text`` if it is a quantity in ``unit`` with its unit (a bare 0 needs none)."""
    from ..model.units import split_number, to_display

    number = split_number(text)
    if number is not None and not number[1] and number[0] != 0:
        raise UsageError(f"{option}: {text} has no unit; expected a quantity in {unit} such as "
                         f"{text.strip()}{unit}")
    try:
        to_display(text, unit, option)
    except ValueError as err:
        raise UsageError(str(err)) from None
    return text


def _list(option: str, text: str, unit: str) -> list[str]:
    from .experiments import value_list

    return [_quantity(option, item, unit) for item in value_list(option, text)]


def _inputs(args) -> tuple[dict, dict]:
    """``(arm, run)``: keyword arguments of the clamp's arm and of its run, checked."""
    cell = cell_option(args)
    table = None if cell is None else cell.parameters
    condition = args.condition or "control"
    overrides, drugs = one_cell_inputs(args, table, condition, "Mg_o=0mM", "ketamine=10uM")
    arm = {"condition": condition, "overrides": overrides, "drugs": drugs, "cell": cell}
    if args.steps is not None:
        arm["steps"] = _list("--steps", args.steps, "mV")
    for option, key in (("--hold", "hold"), ("--tail", "tail")):
        text = getattr(args, key)
        if text is not None:
            arm[key] = _quantity(option, text, "mV")
    if args.open_fraction is not None:
        try:
            arm["s"] = float(args.open_fraction)
        except ValueError:
            raise UsageError("--open-fraction: expected a number in [0, 1], got "
                             f"'{args.open_fraction}'") from None
    run = {"seed": integer("--seed", args.seed, 0, 2**63 - 1),
           "ketamine_model": args.ketamine_model}
    for option, key in (("--duration", "duration"), ("--tail-duration", "tail_duration"),
                        ("--pre", "pre"), ("--settle", "settle"), ("--record-dt", "record_dt")):
        text = getattr(args, key)
        if text is not None:
            run[key] = _quantity(option, text, "ms")
    if args.repeats is not None:
        run["repeats"] = integer("--repeats", args.repeats, 1, 10_000)
    if args.puff_events is not None:
        run["puff_events"] = integer("--puff-events", args.puff_events, 1, 100_000)
    if args.glutamate is not None:
        text = args.glutamate.strip()
        run["glutamate"] = "steps" if text.lower() == "steps" else \
            _list("--glutamate", text, "ms")
    run.update(engine_inputs(args))
    return arm, {k: v for k, v in run.items() if v is not None}


_API_NAMES = {"hold": "--hold", "steps": "--steps", "tail": "--tail", "duration": "--duration",
              "tail_duration": "--tail-duration", "pre": "--pre", "settle": "--settle",
              "record_dt": "--record-dt", "s": "--open-fraction", "glutamate": "--glutamate",
              "repeats": "--repeats", "puff_events": "--puff-events", "protocol": "--protocol",
              "overrides": "--set", "drugs": "--drug"}


def _as_option(err: ValueError) -> UsageError:
    """The API's message with the option's name in place of the argument's."""
    message = str(err)
    name, sep, rest = message.partition(":")
    if sep and name in _API_NAMES:
        return UsageError(f"{_API_NAMES[name]}:{rest}")
    return tagged("--set", err) if message.startswith("unknown ") else UsageError(message)


def _run(args, arm: dict, run: dict):
    from ..experiments import vclamp, vclamp_protocol

    if args.protocol is None:
        if "steps" not in arm:
            raise UsageError("--steps: give the step potentials (e.g. --steps -90,-70,-50mV) "
                             "or a ready-made --protocol NAME")
        return vclamp(**arm, **run)
    if args.protocol not in PROTOCOLS:
        raise UsageError(f"--protocol: expected one of {', '.join(PROTOCOLS)}, got "
                         f"'{args.protocol}'")
    for key in ("hold", "tail"):
        if key in arm:
            raise UsageError(f"--{key}: the protocol '{args.protocol}' sets the holding and "
                             "tail potentials itself; drop it")
    if "s" in arm and args.protocol != "nmda-iv":
        raise UsageError(f"--open-fraction: only the nmda-iv protocol takes it, not "
                         f"'{args.protocol}'")
    return vclamp_protocol(args.protocol, **arm, **run)


def _vclamp(args, argv) -> int:
    from ..model.equations import DEFAULT_CELL

    arm, run = _inputs(args)
    known = ["I_total", *(arm["cell"] or DEFAULT_CELL).currents]
    if args.current is not None and args.current not in known:
        raise UsageError(f"--current: expected one of {', '.join(known)}, got "
                         f"'{args.current}'")
    out = check_out(args.out, args.overwrite)
    from ..engines.fast import EngineUnavailableError
    from ..engines.wasm_kernel import WasmUnavailableError

    try:
        result = _run(args, arm, run)
    except (EngineUnavailableError, WasmUnavailableError) as err:
        raise UsageError(f"--engine: {err}") from None
    except ValueError as err:
        if isinstance(err, UsageError):
            raise
        raise _as_option(err) from None
    current = args.current or result.focus

    def fill(folder) -> None:
        from ..plotting.layout import save_figure

        result.currents.to_csv(folder / "currents.csv", index=False, float_format="%.9g")
        result.iv.to_csv(folder / "iv.csv", index=False, float_format="%.9g")
        (folder / "params.toml").write_text(_params_toml(result, argv), encoding="utf-8")
        save_figure(result.figure(current), folder / "vclamp", formats=("png",))

    try:
        write_folder(out, fill, overwrite=args.overwrite)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    if not args.quiet:
        settings = result.settings
        n_cells = result.iv.groupby(["arm", "step_mV"]).ngroups
        print(f"clamped    {n_cells} cell(s), {len(result.arms)} arm(s)"
              f"{', protocol ' + settings['protocol'] if settings['protocol'] else ''} "
              f"(engine {settings['engine']})")
        for arm_name, rows in result.iv.groupby("arm", sort=False):
            peak = rows[f"{current}_peak_pA"].to_numpy()
            print(f"{arm_name}: peak {current} {peak.min():.4g} to {peak.max():.4g} pA")
        print(f"output     {out}")
    return 0


def _params_toml(result, argv) -> str:
    import json
    import shlex

    s = result.settings
    lines = ["# habmodel vclamp: everything needed to repeat this clamp (docs/vclamp.md)", "",
             "[run]", toml_line("habmodel", __version__),
             toml_line("command", shlex.join(["habmodel", *map(str, argv)])),
             toml_line("protocol", s["protocol"] or "none"),
             toml_line("engine", s["engine"]), toml_line("method", s["method"]),
             toml_line("dt", format_quantity(s["dt_ms"], "ms")),
             toml_line("record_dt", format_quantity(s["record_dt_ms"], "ms")),
             toml_line("settle", format_quantity(s["settle_ms"], "ms"),
                       "unrecorded, at the holding potential"),
             toml_line("seed", int(s["seed"])),
             toml_line("ketamine_model", s["ketamine_model"]), "", "[command]",
             toml_line("pre", format_quantity(s["pre_ms"], "ms"), "at the holding potential"),
             toml_line("duration", format_quantity(s["duration_ms"], "ms"), "each step"),
             toml_line("tail_duration", format_quantity(s["tail_duration_ms"], "ms")),
             toml_line("repeats", int(s["repeats"])),
             toml_line("glutamate_puffs", [format_quantity(t, "ms") for t in s["puffs_ms"]],
                       "from the start of the recording"),
             toml_line("puff_events", int(s["puff_events"]), "glutamate events per puff")]
    for arm in result.arms.itertuples(index=False):
        steps = sorted(result.iv.loc[result.iv["arm"] == arm.arm, "step_mV"].unique())
        lines += ["", f"[arms.{json.dumps(arm.arm, ensure_ascii=False)}]",
                  toml_line("condition", arm.condition),
                  toml_line("hold", format_quantity(arm.hold_mV, "mV")),
                  toml_line("steps", [format_quantity(v, "mV") for v in steps]),
                  toml_line("tail", format_quantity(arm.tail_mV, "mV")),
                  toml_line("drugs", arm.drugs)]
        if arm.s == arm.s:  # not NaN
            lines.append(toml_line("open_fraction", float(arm.s), "NMDA, fixed (s_tonic)"))
    table = result.cell.parameters
    lines += ["", "[parameters]  # one value, or one per arm in the order of [arms]"]
    for name, values in result.params.items():
        param = table[name]
        one = [format_quantity(v, param.unit) if param.unit not in ("", "1") else float(v)
               for v in values]
        lines.append(toml_line(name, one[0] if len(set(one)) == 1 else one, param.meaning))
    return "\n".join(lines) + "\n"
