"""habmodel.brian2_group: the LHb cells as a Brian2 NeuronGroup in a network of your own.

The group is the runtime engine's own (the same builder), so in a plain ``Network`` it gives
the spikes of ``simulate(engine="runtime", warmup=0 s)``; its GABA-A input is driven by the
user's ``Synapses``; the docs/howto.md example runs.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, SpikeMonitor, Synapses, ms, second, uM

import habmodel

ROOT = Path(__file__).resolve().parents[1]

CASES = [("depressed", None), ("control", None), ("depressed", {"ketamine": 1 * uM})]


@pytest.mark.slow
@pytest.mark.parametrize("condition, drugs", CASES,
                         ids=["depressed", "control", "depressed+ketamine-1uM"])
def test_the_group_in_a_network_gives_the_spikes_of_simulate(condition, drugs):
    group = habmodel.brian2_group(4, condition, drugs=drugs, seed=3, jitter=0.2)
    monitor = SpikeMonitor(group)
    Network(group, monitor).run(2 * second)  # no namespace: the group carries its own
    result = habmodel.simulate(condition, drugs=drugs, n_cells=4, seed=3, jitter=0.2,
                               duration=2 * second, warmup=0 * second, engine="runtime")
    trains = monitor.spike_trains()
    assert sum(len(s) for s in result.spikes_s) >= 40
    for cell, expected in enumerate(result.spikes_s):
        got = np.asarray(trains[cell] / second)
        assert got.size == expected.size, cell
        # the same code on the same values: identical in practice; 0.5 ms is the contract
        np.testing.assert_allclose(got, expected, rtol=0, atol=0.5e-3)


def test_units_and_values_are_checked_with_the_parameter_named():
    bad = [({"n": 0}, "n:"), ({"seed": -1}, "seed:"), ({"dt": "0.05 mV"}, "dt:"),
           ({"dt": "5 ms"}, "dt:"), ({"drugs": {"ketamine": "1 mV"}}, "ketamine"),
           ({"drugs": {"ketamine": 1.0}}, "ketamine"),
           ({"overrides": {"g_T": "2 mV"}}, "g_T"),
           ({"overrides": {"g_GABA": "-1 mS/cm2"}}, "g_GABA"),
           ({"overrides": {"g_nonsense": "1 mS/cm2"}}, "g_nonsense"),
           ({"condition": "sad"}, "condition"), ({"jitter": 1.5}, "jitter"),
           ({"method": "rk5"}, "method:"), ({"name": "my lhb"}, "name:"),
           ({"glutamate": "yes"}, "glutamate:"), ({"cell": "LHb"}, "cell:")]
    for kwargs, needle in bad:
        with pytest.raises(ValueError, match=re.escape(needle)):
            habmodel.brian2_group(**{"n": 2, **kwargs})


def test_strings_and_quantities_set_the_group():
    group = habmodel.brian2_group(3, "depressed", drugs={"ketamine": ["0 uM", "1 uM", "10 uM"]},
                                  overrides={"g_GABA": "0.2 mS/cm2", "tau_GABA": 5 * ms},
                                  dt="0.1 ms", name="lhb_units")
    assert float(group.clock.dt / ms) == pytest.approx(0.1)
    assert np.all(np.diff(group.pore_load[:]) > 0) and group.pore_load[0] == 0
    assert float(group.tau_GABA[0] / ms) == pytest.approx(5)
    assert np.asarray(group.g_GABA[:]).tolist() == pytest.approx([2.0] * 3)  # S/m2
    assert "I_GABA" not in habmodel.Cell().currents  # simulate's cell is unchanged


def _input_run(condition, gaba_hz, glutamate=True):
    group = habmodel.brian2_group(4, condition, seed=2, glutamate=glutamate, name="lhb_in")
    monitor = SpikeMonitor(group, name="lhb_in_spikes")
    objects = [group, monitor]
    if gaba_hz:
        times = np.arange(0.0, 1.0, 1.0 / gaba_hz) * second
        source = SpikeGeneratorGroup(1, np.zeros(len(times), int), times, clock=group.clock,
                                     name="gaba_source")
        gaba = Synapses(source, group, "w : 1", on_pre="s_GABA_post += w", clock=group.clock,
                        name="gaba_input")
        gaba.connect()
        gaba.w = 1.0
        objects += [source, gaba]
    Network(*objects).run(1 * second)
    trains = monitor.spike_trains()
    return group, [np.asarray(trains[i] / second) for i in range(4)]


@pytest.mark.slow
def test_a_gaba_input_through_synapses_silences_the_cells():
    _, free = _input_run("control", 0)
    _, inhibited = _input_run("control", 100)
    n_free, n_inhibited = sum(map(len, free)), sum(map(len, inhibited))
    assert n_free >= 20  # tonic control cells
    assert n_inhibited <= 0.25 * n_free, (n_free, n_inhibited)
    for a, b in zip(free, inhibited, strict=True):  # where a cell still fires, it fires later
        if len(b):
            assert b[0] > a[0]


@pytest.mark.slow
def test_without_glutamate_the_group_has_no_drive():
    group, _ = _input_run("depressed", 0, glutamate=False)
    assert not [obj for obj in group.contained_objects if obj.name.endswith("_glutamate")]
    assert np.all(group.x[:] == 0) and np.all(group.s_AMPA[:] == 0) and np.all(group.s[:] == 0)
    driven, _ = _input_run("depressed", 0)
    assert any(obj.name == "lhb_in_glutamate" for obj in driven.contained_objects)
    assert np.any(driven.x[:] > 0)


def _howto_block() -> str:
    text = (ROOT / "docs" / "howto.md").read_text(encoding="utf-8")
    section = text.split("## Use the LHb cell in your own Brian2 network", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_the_howto_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(_howto_block(), "docs/howto.md", "exec"), names)  # noqa: S102
    assert names["spikes"].num_spikes > 0
    assert "Hz" in capsys.readouterr().out
