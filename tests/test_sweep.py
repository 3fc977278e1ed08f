"""Sweeps: grid x cells x seeds to a tidy table, resumable, the same on a Dask cluster."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from brian2 import mM, second, uM

import habmodel
from habmodel import simulation
from habmodel import sweeps as sweep_module
from habmodel.sweeps import SweepError, column_name

GRID = {"K_o": [2.5, 3.0] * mM, "ketamine": [0, 0.5, 1, 3, 10] * uM}
KWARGS = dict(condition="depressed", vary=GRID, n_cells=1, seeds=2, seed=5,
              duration=0.5 * second, warmup=0.2 * second, progress=False)


def test_column_names_carry_the_unit():
    assert column_name("K_o", "mM") == "K_o_mM"
    assert column_name("g_T", "mS/cm2") == "g_T_mS_cm2"
    assert column_name("k_Ca", "1/ms") == "k_Ca_per_ms"
    assert column_name("q10_T", "1") == "q10_T"


@pytest.mark.slow
def test_grid_rows_columns_and_same_seeds_same_numbers(tmp_path):
    table = habmodel.sweep(**KWARGS, out=tmp_path / "a")
    assert len(table) == 2 * 5 * 2  # 2 x 5 grid x 2 seeds x 1 cell
    assert list(table.columns[:5]) == ["point", "K_o_mM", "ketamine_uM", "cell", "seed"]
    assert set(table["seed"]) == {5, 6} and set(table["K_o_mM"]) == {2.5, 3.0}
    assert {"rate_hz", "burst_fraction", "bursts_per_s", "mode"} <= set(table.columns)
    # ketamine suppresses bursting in the depressed cells
    by_dose = table.groupby("ketamine_uM")["bursts_per_s"].mean()
    assert by_dose[0.0] > 1.0 and by_dose[10.0] == 0.0
    for name in ("results.csv", "results.parquet", "provenance.json"):
        assert (tmp_path / "a" / name).exists()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "results.parquet"), table)
    csv = pd.read_csv(tmp_path / "a" / "results.csv")
    np.testing.assert_allclose(csv["bursts_per_s"], table["bursts_per_s"])
    provenance = json.loads((tmp_path / "a" / "provenance.json").read_text())
    assert {"habmodel", "brian2", "numpy", "started", "finished", "parameters",
            "command"} <= set(provenance)
    assert provenance["sweep"]["seeds"] == [5, 6]
    assert provenance["parameters"]["K_o"] == 2.6  # the condition's full parameter set
    again = habmodel.sweep(**KWARGS)
    pd.testing.assert_frame_equal(again, table)


@pytest.mark.slow
def test_cell_i_of_every_grid_point_is_the_same_cell():
    """Packing does not change a cell: one point per chunk or all points in one chunk."""
    kwargs = {**KWARGS, "n_cells": 3, "seeds": 1}
    packed = habmodel.sweep(**kwargs, chunk_cells=1000)
    single = habmodel.sweep(**kwargs, chunk_cells=1)
    pd.testing.assert_frame_equal(packed, single)


@pytest.mark.slow
def test_an_interrupted_sweep_resumes(tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    kwargs = {**KWARGS, "chunk_cells": 3, "out": out}  # 4 chunks per seed
    full = habmodel.sweep(**{**kwargs, "out": None})
    calls = []
    real = sweep_module._run_chunk

    def flaky(task):
        calls.append(task["points"][0])
        if len(calls) == 3:
            raise KeyboardInterrupt  # interrupted in the middle
        return real(task)

    monkeypatch.setattr(sweep_module, "_run_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        habmodel.sweep(**kwargs)
    assert len(list((out / "chunks").glob("*.parquet"))) == 2
    assert not (out / "results.csv").exists()
    assert not [p for p in out.rglob(".*tmp")]  # no half-written chunk
    calls.clear()
    monkeypatch.setattr(sweep_module, "_run_chunk", real)
    counted = []
    monkeypatch.setattr(sweep_module, "_run_chunk", lambda task: counted.append(1) or real(task))
    resumed = habmodel.sweep(**kwargs)
    assert len(counted) == 8 - 2  # only the unfinished chunks
    pd.testing.assert_frame_equal(resumed, full)
    with pytest.raises(SweepError, match="different sweep"):
        habmodel.sweep(**{**kwargs, "seeds": 3})


@pytest.mark.slow
def test_dask_cluster_gives_the_local_numbers(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    local = habmodel.sweep(**KWARGS, chunk_cells=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = habmodel.sweep(**KWARGS, chunk_cells=4, scheduler=client,
                                out=tmp_path / "dask")
        workers = client.run(os.getpid)
    assert len(workers) == 2
    assert len(remote) == 20
    pd.testing.assert_frame_equal(remote, local)
    assert json.loads((tmp_path / "dask" / "provenance.json").read_text())["scheduler"]


@pytest.mark.slow
def test_cli_sweep_writes_the_three_files(tmp_path, run_cli):
    out = tmp_path / "grid"
    status, stdout, err = run_cli(["sweep", "--condition", "depressed", "--vary",
                                   "K_o=2.5,3mM", "--vary", "ketamine=0,0.5,1,3,10uM",
                                   "--cells", 1, "--seeds", 2, "--duration", "0.5s",
                                   "--warmup", "0.2s", "--seed", 5, "--out", out])
    assert status == 0, err
    assert "20 rows" in stdout
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 20 and "ketamine_uM" in table and "K_o_mM" in table
    assert "habmodel sweep" in json.loads((out / "provenance.json").read_text())["command"]
    api = habmodel.sweep(**KWARGS)
    np.testing.assert_allclose(table["bursts_per_s"], api["bursts_per_s"])


BAD = [
    ([], ["--vary", "at least one"]),
    (["--vary", "K_o"], ["--vary", "NAME=V1,V2"]),
    (["--vary", "K_oo=1,2mM"], ["K_oo", "did you mean 'K_o'"]),
    (["--vary", "K_o=1,2mV"], ["K_o", "mM"]),
    (["--vary", "K_o=1,,2mM"], ["--vary", "comma-separated"]),
    (["--vary", "K_o=3,3mM"], ["--vary", "repeats"]),
    (["--vary", "g_T=-1,1mS/cm2"], ["g_T", "outside"]),
    (["--vary", "ketamine=0,1uM", "--drug", "ketamine=2uM"], ["ketamine", "both varied"]),
    (["--vary", "K_o=2,3mM", "--vary", "K_o=4mM"], ["--vary", "twice"]),
    (["--vary", "K_o=2,3mM", "--seeds", "0"], ["--seeds"]),
    (["--vary", "K_o=2,3mM", "--scheduler", "nowhere"], ["--scheduler", "tcp://"]),
]


@pytest.mark.parametrize(("extra", "needles"), BAD, ids=[" ".join(b[0]) or "none" for b in BAD])
def test_bad_sweep_input_exits_2_and_writes_nothing(extra, needles, tmp_path, run_cli,
                                                    one_line_error, no_simulation):
    out = tmp_path / "grid"
    status, stdout, err = run_cli(["sweep", "--cells", 1, *extra, "--out", out])
    assert status == 2 and stdout == ""
    one_line_error(err, *needles)
    assert not out.exists()


def test_out_with_other_files_is_refused(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(simulation, "simulate", lambda *a, **k: pytest.fail("simulated"))
    out = tmp_path / "grid"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    status, _, err = run_cli(["sweep", "--vary", "K_o=2,3mM", "--out", out])
    assert status == 2 and "other files" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
