"""The headless command line: `vlab run`, listings, errors with exit status 2."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.cli import main
from vlab.recording import read_csv


def _table(path):
    return np.genfromtxt(path, delimiter=",", names=True)


def _meta(path) -> dict:
    """The run's description in the CSV's sidecar (``x.csv-metadata.json``)."""
    return read_csv(path)[0]


def test_run_writes_csv_with_metadata_and_unit_columns(tmp_path, capsys):
    out = tmp_path / "pulse.csv"
    rc = main(
        [
            "run",
            "single_pulse",
            "--record",
            "m,h,n,INa,IK,IL,gNa,gK",
            "--out",
            str(out),
            "--seed",
            "7",
        ]
    )
    assert rc == 0
    text = out.read_text()
    keys = set(_meta(out))
    for k in (
        "vlab_version",
        "preparation",
        "parameters",
        "temperature_C",
        "reversal_mV",
        "drugs",
        "protocol_name",
        "seed",
        "concentrations",
        "mode",
    ):
        assert k in keys, k
    cols = text.splitlines()[0].split(",")
    assert cols[:5] == ["sweep", "t_ms", "Vm_mV", "Im_nA", "cmd_nA"]
    for c in ("m", "h", "n", "INa_nA", "IK_nA", "IL_nA", "gNa_uS", "gK_uS"):
        assert c in cols, c
    data = _table(out)
    assert data["Vm_mV"].max() == pytest.approx(39.06, abs=0.5)
    assert data["Im_nA"].max() == pytest.approx(10.0 * 1e-3 * 1e3, rel=1e-9)  # 10 uA/cm2 * 1e-3 cm2
    meta, sweeps = read_csv(out)
    assert len(sweeps) == 1 and not (tmp_path / "pulse.npz").exists()  # one file, as named


def test_run_with_ttx_has_no_spike_and_reports_block(tmp_path):
    out = tmp_path / "ttx.csv"
    assert main(["run", "single_pulse", "--drug", "TTX=100nM", "--out", str(out)]) == 0
    # squid IC50 5.1 nM: 100 / 105.1 = 0.9515
    assert _meta(out)["drugs"]["TTX"]["fraction_blocked"] == pytest.approx(100 / 105.1, abs=1e-3)
    data = _table(out)
    assert data["Vm_mV"].max() < 0


def test_set_overrides_and_temperature(tmp_path):
    out = tmp_path / "k.csv"
    assert (
        main(
            ["run", "single_pulse", "--set", "K_out=20mM", "--temperature", "10", "--out", str(out)]
        )
        == 0
    )
    meta = _meta(out)
    assert meta["temperature_C"] == 10
    e_k = meta["reversal_mV"]["K"]
    import math

    # the pin (-77 mV) is released by the Nernst change at 10 degC, from 16.35 to 20 mM
    assert e_k == pytest.approx(
        -77 + 8.314462618 * 283.15 / 96485.33212 * math.log(20 / 16.35) * 1e3, abs=1e-3
    )


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["run", "single_pulse", "--set", "gFoo=1mS/cm2"], "valid names"),
        (["run", "single_pulse", "--set", "K_out=20"], "no unit"),
        (["run", "single_pulse", "--set", "K_out=-3mM"], "outside the allowed range"),
        (["run", "single_pulse", "--drug", "XYZ=1mM"], "unknown drug"),
        (["run", "no_such_protocol"], "no_such_protocol"),
        (["run", "single_pulse", "--record", "zz"], "recordable"),
        (["run", "single_pulse", "--temperature", "nan"], "temperature"),
        (["run", "single_pulse", "--preparation", "frog"], "unknown preparation"),
    ],
)
def test_bad_input_exits_2_with_one_line_reason(argv, needle, capsys, tmp_path):
    out = tmp_path / "x.csv"
    rc = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert needle in err and len(err.splitlines()) == 1
    assert not out.exists()  # nothing half-written


def test_bad_protocol_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "x"\nmode = "current-clamp"\nholding = "0"\nsweeps = 1\n'
        'sweep_duration = "10 ms"\nsample_interval = "10 us"\n'
    )
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "holding" in err


def test_analyse_prints_spike_table(capsys):
    assert main(["run", "single_pulse", "--analyse"]) == 0
    out = capsys.readouterr().out
    assert "spikes" in out and "39.1" in out


def test_every_builtin_protocol_runs(capsys):
    from vlab.protocols import builtin_protocols

    for name in builtin_protocols():
        assert main(["run", name]) == 0, name


def test_listings(capsys):
    assert main(["preparations"]) == 0
    assert "squid" in capsys.readouterr().out
    assert main(["preparations", "squid"]) == 0
    out = capsys.readouterr().out
    assert "pinned" in out and "Hodgkin" in out and "K_out" in out
    assert main(["protocols"]) == 0
    assert "vc_step_family" in capsys.readouterr().out
    assert main(["drugs"]) == 0
    assert "TTX" in capsys.readouterr().out


def test_run_on_an_axon_records_places_and_reports_velocity(tmp_path, capsys):
    out = tmp_path / "axon.csv"
    rc = main(
        [
            "run",
            "single_pulse",
            "--preparation",
            "squid_axon",
            "--set",
            "stim_x=0cm",
            "--record",
            "Vm@2cm,Vm@4cm",
            "--analyse",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if "conduction velocity" in ln)
    cv = float(line.split(":")[1].split()[0])
    assert cv == pytest.approx(18.74, rel=0.005)
    cols = out.read_text().splitlines()[0].split(",")
    assert "Vm@2cm_mV" in cols and "Vm@4cm_mV" in cols
    data = _table(out)
    assert data["Vm2cm_mV"].max() > 0  # numpy drops the '@' from field names


@pytest.mark.parametrize(
    "rec,needle", [("INa", "Vm@2cm"), ("Vm@9cm", "outside the axon"), ("Vm@2", "unit")]
)
def test_axon_record_errors(rec, needle, capsys):
    assert main(["run", "single_pulse", "--preparation", "squid_axon", "--record", rec]) == 2
    assert needle in capsys.readouterr().err


def _spikes_at(text: str) -> dict[str, bool]:
    """Site label -> spiked?, from the `--analyse` lines of an axon run."""
    return {ln.split()[0]: "spike at" in ln for ln in text.splitlines() if ln.startswith("  Vm@")}


def test_local_drug_on_an_axon_blocks_conduction_past_the_stretch(tmp_path, capsys):
    out = tmp_path / "block.csv"
    rc = main(
        [
            "run",
            "single_pulse",
            "--preparation",
            "squid_axon",
            "--drug",
            "TTX=1uM@2cm-3cm",
            "--record",
            "Vm@1cm,Vm@4cm",
            "--analyse",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    assert _spikes_at(capsys.readouterr().out) == {"Vm@1cm": True, "Vm@4cm": False}
    meta = _meta(out)
    assert meta["local_drugs"] == ["TTX 1000 nM at 2-3 cm"]
    assert meta["drugs"] == {}  # not in the bath


def test_library_pulse_fires_the_myelinated_fibre_and_demyelination_blocks(capsys):
    args = [
        "run",
        "single_pulse",
        "--preparation",
        "myelinated_axon",
        "--record",
        "Vm@0.3cm,Vm@1.6cm",
        "--analyse",
    ]
    assert main(args) == 0
    assert _spikes_at(capsys.readouterr().out) == {"Vm@0.3cm": True, "Vm@1.6cm": True}
    assert main(args + ["--demyelinate", "0.8cm-1.2cm"]) == 0
    assert _spikes_at(capsys.readouterr().out) == {"Vm@0.3cm": True, "Vm@1.6cm": False}


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--drug", "TTX=1uM@1cm-9cm"], "outside the axon"),
        (["--drug", "TTX=1uM@1cm"], "expected a stretch such as 2cm-3cm"),
        (["--demyelinate", "1cm-2cm"], "no myelin to strip"),
    ],
)
def test_axon_stretch_errors(extra, needle, capsys):
    assert main(["run", "single_pulse", "--preparation", "squid_axon", *extra]) == 2
    assert needle in capsys.readouterr().err


def test_places_along_an_axon_need_an_axon(capsys):
    assert main(["run", "single_pulse", "--drug", "TTX=1uM@1cm-2cm"]) == 2
    assert "need an axon preparation" in capsys.readouterr().err


def test_preparations_reports_spontaneous_firing_and_perfusion(capsys):
    assert main(["preparations", "mammalian", "--set", "K_out=12mM"]) == 0
    out = capsys.readouterr().out
    assert "no stable rest: the cell fires spontaneously" in out
    assert "Perfusion" in out and "tau 15 s" in out  # 1 ml at 4 ml/min
    assert main(["preparations", "mammalian"]) == 0
    assert "(stable)" in capsys.readouterr().out
