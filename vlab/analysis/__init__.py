"""Measurements on recorded sweeps: the things a student or instructor reads off a trace.

Qt-free and built on numpy only. scipy is imported inside the fitting
functions, so ``import vlab.analysis`` stays fast. Every input and output
is in SI units: time s, voltage V, current A, conductance S, capacitance
F, resistance Ω, rate Hz, dV/dt V/s. Sweeps can be 1-D arrays or 2-D
arrays ``(n_sweeps, n_samples)`` that share one time vector.

Modules
-------
spikes
    :func:`detect_spikes` and :class:`Spike` (threshold, peak, half-width,
    AHP, rates of rise and fall, latency).
firing
    Counts, rates, interspike intervals, latency, :func:`fi_curve` and
    :func:`refractory_analysis`.
clamp
    Voltage clamp: peak and steady-state currents, :func:`iv_curve`,
    :func:`reversal_potential`, :func:`conductance`, Boltzmann fits.
passive
    Resting potential, input resistance, membrane time constant, phase plane.
cursors
    :func:`between_cursors` (and ``between_cursors_each`` for every shown sweep).
family
    The one I–V, G–V and f–I pipeline of a protocol family, with its measurement
    windows documented once (``TRANSIENT_SKIP`` = 0.1 ms after a step); used by the
    analysis window, ``vlab run --analyse`` and the practicals' answer keys.
table
    :func:`summarise_sweeps` and :func:`format_table` for the ``--analyse``
    command-line table.
"""

from __future__ import annotations

from vlab.analysis.clamp import (
    Reversal,
    boltzmann,
    conductance,
    fit_boltzmann,
    fit_inactivation,
    iv_curve,
    peak_current,
    reversal_potential,
    steady_state_current,
)
from vlab.analysis.cursors import between_cursors
from vlab.analysis.firing import (
    FICurve,
    RefractoryResult,
    fi_curve,
    firing_rate,
    first_spike_latency,
    interspike_intervals,
    refractory_analysis,
    spike_count,
    spike_times,
)
from vlab.analysis.passive import (
    fit_exponential,
    input_resistance,
    membrane_time_constant,
    phase_plane,
    resting_potential,
)
from vlab.analysis.spikes import Spike, detect_spikes
from vlab.analysis.table import format_table, summarise_sweeps

__all__ = [
    "FICurve",
    "RefractoryResult",
    "Reversal",
    "Spike",
    "between_cursors",
    "boltzmann",
    "conductance",
    "detect_spikes",
    "fi_curve",
    "firing_rate",
    "first_spike_latency",
    "fit_boltzmann",
    "fit_exponential",
    "fit_inactivation",
    "format_table",
    "input_resistance",
    "interspike_intervals",
    "iv_curve",
    "membrane_time_constant",
    "peak_current",
    "phase_plane",
    "refractory_analysis",
    "resting_potential",
    "reversal_potential",
    "spike_count",
    "spike_times",
    "steady_state_current",
    "summarise_sweeps",
]
