"""The LHb -> RMTg -> VTA circuit (docs/circuit.md): burst coding, ketamine and dopamine.

The ``validation`` tests run the real circuit (habmodel's LHb population on the fast
engine, the downstream populations in Brian2) on small populations for 3 s. If one
fails, the circuit no longer shows what docs/circuit.md claims: find out what changed,
do not loosen the bound.
"""

import subprocess
import sys

import numpy as np
import pytest

from habmodel.circuit import (
    DEFAULT_CIRCUIT,
    CircuitArm,
    ketamine_dose_response,
    lhb_synchrony,
    pause_after,
    rate_matched_tonic,
    run_circuit,
    standard_arms,
    volley_pause,
)

SMALL = DEFAULT_CIRCUIT.with_(n_rmtg=40, n_vta=40)


@pytest.fixture(scope="module")
def circuit():
    return run_circuit(standard_arms((0.3, 1.0, 3.0, 10.0)), n_lhb=40, duration="3 s",
                       params=SMALL, seed=2026)


def _rate(result, arm, pop):
    s = result.summary
    return float(s[(s["arm"] == arm) & (s["population"] == pop)]["rate_hz"].iloc[0])


@pytest.mark.slow
@pytest.mark.validation
def test_depressed_lhb_drives_rmtg_and_silences_dopamine(circuit):
    r = circuit
    assert _rate(r, "depressed", "RMTg") > 3 * _rate(r, "control", "RMTg") + 1
    assert _rate(r, "depressed", "VTA") < 0.8 * _rate(r, "control", "VTA")
    assert 3 <= _rate(r, "control", "VTA") <= 8  # pacemaking at a few Hz


@pytest.mark.slow
@pytest.mark.validation
def test_burst_coding_not_rate_coding(circuit):
    """The same LHb spike counts as tonic trains drive the RMTg far less."""
    r = circuit
    tonic = "depressed, rate-matched tonic"
    assert _rate(r, tonic, "LHb") == pytest.approx(_rate(r, "depressed", "LHb"), rel=0.05)
    assert _rate(r, "depressed", "RMTg") > 1.5 * _rate(r, tonic, "RMTg")
    assert _rate(r, "depressed", "VTA") < _rate(r, tonic, "VTA") - 0.3
    lhb = r.summary[r.summary["population"] == "LHb"].set_index("arm")["burst_fraction"]
    assert lhb["depressed"] > 0.8 and lhb[tonic] < 0.1


@pytest.mark.slow
@pytest.mark.validation
def test_ketamine_restores_dopamine_dose_dependently(circuit):
    dose = ketamine_dose_response(circuit)
    rates = dose["vta_rate_hz"]
    assert np.all(np.diff(rates) > -0.3), rates  # rises with the dose (within noise)
    assert rates[-1] > rates[0] + 1
    assert rates[-1] >= 0.9 * dose["control_rate_hz"]
    assert 0.1 <= dose["half_restoring_uM"] <= 10, dose
    assert _rate(circuit, "depressed + mibefradil 2 uM", "VTA") > \
        _rate(circuit, "depressed", "VTA") + 1


@pytest.mark.slow
@pytest.mark.validation
def test_a_synchronous_lhb_volley_pauses_dopamine_neurons(circuit):
    """Ji & Shepard 2007: one LHb pulse pauses dopamine neurons for about 85 ms. The model's
    single pulse pauses them for about half that; a 5-pulse burst volley for about 85 ms."""
    pauses = volley_pause(circuit, (1, 5), every_s=0.25).set_index(["arm", "n_pulses"])
    one, burst = pauses.loc[("control", 1), "pause_ms"], pauses.loc[("control", 5), "pause_ms"]
    assert 20 <= one <= 150, pauses
    assert 40 <= burst <= 200 and burst >= one, pauses
    assert pauses.loc[("control", 5), "rebound_hz"] > pauses.loc[("control", 5), "baseline_hz"]


def test_dopamine_readout_releases_per_spike_and_clears_with_tau():
    from habmodel.circuit import dopamine_readout

    grid = np.arange(0.0, 1.0, 0.005)
    da = dopamine_readout([np.array([0.1]), np.zeros(0)], grid, DEFAULT_CIRCUIT)
    k = int(np.argmax(da))
    assert grid[k] == pytest.approx(0.1) and da[k] == pytest.approx(10.0 / 2)
    after_tau = k + round(DEFAULT_CIRCUIT.tau_da_ms / 5)
    assert da[after_tau] == pytest.approx(da[k] / np.e, rel=1e-9)
    assert np.all(da[:k] == 0)


def test_pause_after_measures_a_silent_gap():
    vta = [np.r_[np.arange(0.0, 1.0, 0.01), np.arange(1.1, 2.0, 0.01)]] * 4
    assert pause_after([1.0], vta)["pause_ms"] == pytest.approx(100, abs=10)
    assert pause_after([0.5], vta)["pause_ms"] == 0.0
    assert np.isnan(pause_after([], vta)["pause_ms"])


@pytest.mark.slow
def test_same_seed_same_spikes_and_no_global_state():
    import brian2

    target = brian2.prefs.codegen.target
    arms = [CircuitArm("depressed", "depressed")]
    a = run_circuit(arms, n_lhb=10, duration="0.5 s", params=SMALL.with_(n_rmtg=10, n_vta=10))
    b = run_circuit(arms, n_lhb=10, duration="0.5 s", params=SMALL.with_(n_rmtg=10, n_vta=10))
    for pop in ("LHb", "RMTg", "VTA"):
        for x, y in zip(a.spikes["depressed"][pop], b.spikes["depressed"][pop], strict=True):
            np.testing.assert_array_equal(x, y)
    assert brian2.prefs.codegen.target == target
    table = a.spikes_table()
    assert list(table.columns) == ["arm", "population", "cell", "time_s"]
    assert set(table["population"]) <= {"LHb", "RMTg", "VTA"}


def test_rate_matched_tonic_keeps_counts_and_synchrony_measures():
    rng = np.random.default_rng(1)
    trains = [np.sort(rng.random(n) * 2) for n in (0, 5, 40)]
    tonic = rate_matched_tonic(trains, 2.0, rng)
    assert [len(t) for t in tonic] == [0, 5, 40]
    assert all(np.all((t > 0) & (t < 2)) for t in tonic)
    same = [np.arange(0, 2, 0.1)] * 3
    sync = lhb_synchrony(same, 2.0)
    assert sync["lhb_corr"] == pytest.approx(1.0)
    assert 0 <= sync["lhb_theta_fraction"] <= 1


def test_circuit_inputs_are_checked():
    with pytest.raises(ValueError, match="unknown 'w_gab'"):
        DEFAULT_CIRCUIT.with_(w_gab=1)
    with pytest.raises(ValueError, match="duration"):
        run_circuit([CircuitArm("c", "control")], duration="5 mV")
    with pytest.raises(ValueError, match="rate-matched"):
        run_circuit([CircuitArm("t", tonic_like="missing")], duration="0.1 s")
    with pytest.raises(ValueError, match="unique"):
        run_circuit([CircuitArm("a"), CircuitArm("a")], duration="0.1 s")


@pytest.mark.slow
def test_circuit_command_writes_the_files_and_rejects_bad_input(tmp_path, brian2_here):
    out = tmp_path / "run"
    base = [sys.executable, "-m", "habmodel", "circuit", "--lhb-cells", "10", "--rmtg-cells",
            "10", "--vta-cells", "10", "--duration", "0.5s", "--seed", "1"]
    done = subprocess.run([*base, "--condition", "depressed", "--drug", "ketamine=1uM",
                           "--out", str(out), "--rate-matched"], capture_output=True,
                          text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {"spikes.csv", "summary.csv", "pauses.csv",
                                              "params.toml", "circuit.png"}
    assert "ketamine" in (out / "params.toml").read_text()
    for bad, message in ((["--lhb-cells", "0"], "--lhb-cells"),
                         (["--circuit", "w_gaba=-1"], "--circuit w_gaba"),
                         (["--circuit", "nonsense=1"], "unknown parameter"),
                         (["--duration", "5mV"], "--duration"),
                         (["--drug", "ketamine=1mV"], "ketamine: expected a quantity in uM")):
        args = [*base, *bad, "--out", str(tmp_path / "bad")]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        assert done.returncode == 2, (bad, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert not (tmp_path / "bad").exists()


@pytest.mark.slow
def test_the_lhb_cells_simulated_in_the_network_give_the_same_circuit():
    """lhb="group": the LHb cells are brian2_group populations in the circuit's network, so
    the same cells and input give the spikes that the fast engine gives (replayed by
    default), and the RMTg and VTA see the same input (delivered at the LHb's 0.05 ms steps
    instead of rounded to 0.1 ms)."""
    arms = [CircuitArm("depressed", "depressed")]
    small = SMALL.with_(n_rmtg=10, n_vta=10)
    replayed = run_circuit(arms, n_lhb=10, duration="1 s", params=small, seed=4)
    simulated = run_circuit(arms, n_lhb=10, duration="1 s", params=small, seed=4, lhb="group")
    lhb_a, lhb_b = replayed.spikes["depressed"]["LHb"], simulated.spikes["depressed"]["LHb"]
    assert sum(map(len, lhb_a)) > 50
    for a, b in zip(lhb_a, lhb_b, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
    for pop in ("RMTg", "VTA"):
        n_a = sum(map(len, replayed.spikes["depressed"][pop]))
        n_b = sum(map(len, simulated.spikes["depressed"][pop]))
        assert n_a > 5 and abs(n_b - n_a) <= 0.1 * n_a + 2, (pop, n_a, n_b)
    with pytest.raises(ValueError, match="lhb: expected"):
        run_circuit(arms, duration="0.1 s", lhb="neurons")
    with pytest.raises(ValueError, match="rate-matched"):
        run_circuit([*arms, CircuitArm("tonic", tonic_like="depressed")], duration="0.1 s",
                    lhb="group")
    with pytest.raises(ValueError, match="warmup"):
        run_circuit(arms, duration="0.1 s", warmup="0.5 s", lhb="group")


@pytest.mark.slow
def test_without_cython_the_circuit_runs_on_numpy_with_one_warning_and_the_same_spikes(
        request):
    """The downstream network runs on Brian2's Cython target where a compiler works, and on
    its NumPy target (one warning) where none does: the same spikes either way."""
    import warnings

    from brian2.codegen.runtime.cython_rt import CythonCodeObject

    from habmodel.circuit import run_downstream
    from habmodel.engines.runtime import CodegenFallbackWarning, compiled_code_class

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CodegenFallbackWarning)
        if compiled_code_class() is not CythonCodeObject:
            pytest.skip("Cython does not compile on this machine")
    rng = np.random.default_rng(5)
    trains = [[np.sort(rng.random(30) * 0.8) for _ in range(10)]]
    small = SMALL.with_(n_rmtg=10, n_vta=10, w_ampa_nS=6.0)
    compiled = run_downstream(trains, 0.8, 3, small)
    request.getfixturevalue("no_compiler")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CodegenFallbackWarning)
        plain = run_downstream(trains, 0.8, 3, small)
        run_downstream(trains, 0.1, 3, small)  # checked once: no second warning
    record = [w for w in caught if issubclass(w.category, CodegenFallbackWarning)]
    assert len(record) == 1 and "NumPy target" in str(record[0].message)
    assert sum(len(t) for t in compiled["rmtg"][0]) > 5
    for pop in ("rmtg", "vta"):
        for a, b in zip(compiled[pop][0], plain[pop][0], strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(compiled["da_nM"][0], plain["da_nM"][0])


@pytest.mark.slow
def test_volleys_in_the_same_network_equal_a_separate_run_and_change_no_arm():
    """``run_circuit(volleys=...)`` (what ``habmodel circuit`` does: one Brian2 run) gives
    the table of ``volley_pause`` (a second run), and the arms' own spikes do not depend on
    the circuits run beside them (the background trains are the same in every circuit)."""
    arms = [CircuitArm("depressed", "depressed")]
    small = SMALL.with_(n_rmtg=12, n_vta=12)
    both = run_circuit(arms, n_lhb=12, duration="1.2 s", params=small, volleys=(1, 5))
    alone = run_circuit(arms, n_lhb=12, duration="1.2 s", params=small)
    assert alone.pauses is None
    for pop in ("RMTg", "VTA"):
        for x, y in zip(both.spikes["depressed"][pop], alone.spikes["depressed"][pop],
                        strict=True):
            np.testing.assert_array_equal(x, y)
    separate = volley_pause(alone, (1, 5))
    assert len(both.pauses) == 2
    assert both.pauses.equals(separate), (both.pauses, separate)


def test_numpy_filters_equal_scipy():
    """The circuit's own first-order filter and Welch band power (numpy only, so the
    command does not import scipy.signal) equal SciPy's."""
    from scipy.signal import lfilter, welch

    from habmodel.circuit.metrics import first_order_filter, welch_power

    rng = np.random.default_rng(7)
    for rate in (1e-6, 0.025, 3.0, 80.0):
        x = rng.poisson(0.5, 20_000).astype(float)
        np.testing.assert_allclose(first_order_filter(x, rate),
                                   lfilter([1.0], [1.0, -np.exp(-rate)], x), rtol=1e-10,
                                   atol=1e-12)
    for n in (65, 400, 2001):
        x = rng.poisson(2.0, n).astype(float)
        x -= x.mean()
        f, p = welch(x, fs=200.0, nperseg=min(n, 400))
        g, q = welch_power(x, 200.0, min(n, 400))
        np.testing.assert_allclose(g, f)
        band, theta = (f >= 1) & (f <= 50), (f >= 4) & (f <= 8)
        assert q[theta].sum() / q[band].sum() == pytest.approx(p[theta].sum() / p[band].sum(),
                                                               rel=1e-10)


def test_bad_volleys_are_refused_before_anything_runs(no_simulation):
    with pytest.raises(ValueError, match="n_pulses"):
        run_circuit([CircuitArm("d", "depressed")], n_lhb=2, duration="1 s", volleys=[0])
