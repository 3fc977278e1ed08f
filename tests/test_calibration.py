"""The model against the literature: ``habmodel.calibration`` and ``habmodel calibrate``."""

import math
import subprocess
import sys

import pandas as pd
import pytest

from habmodel.calibration import (
    LITERATURE,
    calibration_claims,
    calibration_markdown,
    calibration_table,
)


def test_every_reference_names_its_source_and_a_sane_target():
    keys = [ref.key for ref in LITERATURE]
    assert len(keys) == len(set(keys))
    for ref in LITERATURE:
        assert ref.source and ref.published and ref.command.startswith("habmodel calibrate")
        if ref.low is not None and ref.high is not None:
            assert ref.low < ref.high, ref.key
        if ref.value is not None and ref.low is not None and ref.high is not None:
            assert ref.low <= ref.value <= ref.high, ref.key  # the published value passes


def test_table_ratio_and_range_from_given_values():
    values = {ref.key: (ref.value if ref.value else 1.0) for ref in LITERATURE}
    values["ket_ic50_0mg"] = 100.0  # far outside 0.3-1.6 uM
    table = calibration_table(values)
    row = table.set_index("key").loc["ket_ic50_0mg"]
    assert row["ratio"] == pytest.approx(100 / 0.71) and row["in_range"] is False
    assert table.set_index("key").loc["k_on", "ratio"] == pytest.approx(1.0)
    assert table.set_index("key").loc["rest_tonic", "in_range"] is None
    claims = calibration_claims(table)
    assert [c["claim"] for c in claims] == [f"C{i}" for i in range(1, len(claims) + 1)]
    assert len(claims) == sum(1 for r in LITERATURE if r.low is not None or r.high is not None)
    assert not [c for c in claims if "IC50, 0 Mg2+" in c["description"]][0]["passed"]
    md = calibration_markdown(table)
    assert md.count("\n") == len(LITERATURE) + 2 and "| NO |" in md


@pytest.mark.slow
@pytest.mark.validation
def test_calibrate_command_measures_the_model(tmp_path):
    out = tmp_path / "calibration.csv"
    run = subprocess.run([sys.executable, "-m", "habmodel", "calibrate", "--quick", "--out",
                          str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    assert list(table["key"]) == [ref.key for ref in LITERATURE]
    assert table["model"].map(math.isfinite).all(), table[["key", "model"]]
    judged = table[table["target"].notna()]
    assert judged["in_range"].astype(bool).all(), judged[["key", "model", "target"]]
    assert "outside their target range" not in run.stderr
    # the passive cell: hundreds of MOhm, a sag, a rebound burst
    row = table.set_index("key")["model"]
    assert 100 < row["input_resistance"] < 5000 and row["sag"] > 0.02
    again = subprocess.run([sys.executable, "-m", "habmodel", "calibrate", "--quick", "--out",
                            str(out)], capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "--out" in again.stderr and "exists" in again.stderr
