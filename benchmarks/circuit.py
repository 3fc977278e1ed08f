"""Runtime of the LHb -> RMTg -> VTA circuit, and its results, measured in one run.

    python benchmarks/circuit.py            # 100 LHb + 100 RMTg + 100 VTA cells x 10 s
    python benchmarks/circuit.py --quick    # 2 s

Prints the CPU, then the wall time of (1) the LHb population (habmodel's fast engine)
and (2) the downstream Brian2 network for one circuit (Cython target where a compiler
works, else NumPy; the first run on a machine compiles it into Cython's cache, so run
twice for warm numbers), and (3) the standard comparison (control, depressed, its
rate-matched tonic control, depressed + ketamine 0.3/1/3/10 uM, depressed + mibefradil:
8 circuits in one network) with its
summary table and the ketamine dose that restores half of the dopamine-neuron rate.
The ratio printed is the downstream part's cost per circuit in the 8-circuit network
against the single circuit, measured here.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import cpu_family, machine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s instead of 10 s")
    args = parser.parse_args()
    duration = "2 s" if args.quick else "10 s"
    import pandas as pd

    import habmodel
    from habmodel.circuit import (
        DEFAULT_CIRCUIT,
        ketamine_dose_response,
        run_circuit,
        standard_arms,
    )
    from habmodel.circuit.network import run_downstream
    from habmodel.engines.runtime import compiled_code_class

    print(f"CPU: {machine()} ({cpu_family()})")
    print(f"100 LHb + 100 RMTg + 100 VTA cells x {duration}")
    habmodel.simulate("depressed", n_cells=2, duration="0.1 s", progress=False)  # warm cache
    t0 = time.perf_counter()
    lhb = habmodel.simulate("depressed", n_cells=100, duration=duration, seed=1, jitter=0.2,
                            progress=False)
    t_lhb = time.perf_counter() - t0
    trains = [list(map(float, s)) for s in lhb.spikes_s]
    t0 = time.perf_counter()
    run_downstream([trains], lhb.duration_s, 1, DEFAULT_CIRCUIT)
    t_down = time.perf_counter() - t0
    print(f"  LHb population (fast engine):       {t_lhb:7.2f} s")
    target = "Cython" if "Cython" in compiled_code_class().__name__ else "NumPy"
    print(f"  RMTg + VTA (Brian2, {target} target): {t_down:6.2f} s")
    print(f"  one circuit in all:                 {t_lhb + t_down:7.2f} s")
    whole = _whole_command(duration)
    print(f"whole command (habmodel circuit --condition depressed --duration {duration}, "
          f"the circuit and its two volley circuits in one network, files written): "
          f"{whole:.2f} s, best of 2 ({whole / (t_lhb + t_down):.2f} x the one circuit's parts)")
    arms = standard_arms()
    t0 = time.perf_counter()
    result = run_circuit(arms, n_lhb=100, duration=duration, seed=2026, volleys=(1, 5))
    t_all = time.perf_counter() - t0
    n = 3 * len(arms)
    print(f"standard comparison with its volleys, {n} circuits in one network: {t_all:.1f} s "
          f"({t_all / n:.2f} s per circuit; {t_all / n / (t_lhb + t_down):.2f}"
          " x the single circuit)")
    pd.set_option("display.width", 200)
    table = result.summary.pivot_table(index="arm", columns="population", values="rate_hz",
                                       sort=False).round(2)
    vta = result.summary[result.summary["population"] == "VTA"].set_index("arm")
    pauses = result.pauses.pivot(index="arm", columns="n_pulses", values="pause_ms")
    table["pause 1 pulse (ms)"] = pauses[1]
    table["pause 5 pulses (ms)"] = pauses[5]
    table["dopamine (nM)"] = vta["dopamine_nM"].round(2)
    lhb_rows = result.summary[result.summary["population"] == "LHb"].set_index("arm")
    table["LHb burst fraction"] = lhb_rows["burst_fraction"].round(2)
    table["LHb corr"] = lhb_rows["lhb_corr"].round(3)
    table["LHb theta"] = lhb_rows["lhb_theta_fraction"].round(3)
    print(table.to_string())
    dose = ketamine_dose_response(result)
    print(f"ketamine dose restoring half of the VTA rate: {dose['half_restoring_uM']:.2g} uM")


def _whole_command(duration: str) -> float:
    best = float("inf")
    for _ in range(2):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "habmodel", "circuit", "--condition",
                            "depressed", "--duration", duration.replace(" ", ""), "--out",
                            f"{tmp}/out", "--quiet"], check=True)
            best = min(best, time.perf_counter() - t0)
    return best


if __name__ == "__main__":
    main()
