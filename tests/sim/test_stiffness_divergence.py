"""A run that diverges says what really made it diverge (issue 11, "smaller" findings).

Before: an absurd concentration (Na_in 1e-9 mM) diverged 0.64 ms into single_pulse, 4 ms
before the pulse, and the message said "The injected current is too large; reduce it".
"""

from __future__ import annotations

import numpy as np
import pytest

from vlab.cli import main
from vlab.sim.cell import Cell
from vlab.sim.engine import DivergenceError, Membrane, SimulationError
from vlab.sim.ions import nernst


def test_absurd_concentration_is_named_not_the_current():
    cell = Cell("squid")
    cell.set("Na_in", "1e-9 mM")
    e_na = nernst("Na", cell.values["Na_out"], 1e-9, cell.values["temperature"])
    assert e_na > 0.5  # > +500 mV: V is driven past the kernel's limit
    mem = Membrane(cell)
    before = mem.state.copy()
    with pytest.raises(DivergenceError) as err:
        mem.advance("current-clamp", np.zeros(3001), 10e-6)  # no current at all
    msg = str(err.value)
    assert isinstance(err.value, ValueError) and "\n" not in msg
    assert f"E_Na is {e_na * 1e3:+.0f} mV" in msg and "Na_in 1e-09 mM" in msg
    assert "current" not in msg
    np.testing.assert_array_equal(mem.state, before)


def test_cli_names_the_concentration_with_exit_2_before_the_pulse(capsys):
    rc = main(["run", "single_pulse", "--set", "Na_in=1e-9mM"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert "E_Na" in err and "Na_in" in err and "reduce it" not in err
    t = float(err.split("t = ")[1].split(" ms")[0])
    assert t < 5.0  # single_pulse's pulse starts at 5 ms


def test_absurd_current_is_named_with_the_time_since_it_began():
    cell = Cell("squid")
    mem = Membrane(cell)
    mem.advance("current-clamp", np.zeros(101), 10e-6)  # 1 ms at rest, streamed first
    with pytest.raises(DivergenceError, match="injected current is too large") as err:
        mem.advance("current-clamp", np.full(101, 1e-3), 10e-6)  # 1 mA from t = 1 ms
    msg = str(err.value)
    t = float(msg.split("t = ")[1].split(" ms")[0])
    after = float(msg.split("mV ")[1].split(" ms after current injection began")[0])
    assert after == pytest.approx(t - 1.0, abs=1e-9)


def test_divergence_is_still_a_simulation_error_for_the_gui():
    assert issubclass(DivergenceError, SimulationError)
