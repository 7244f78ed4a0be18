"""A configured membrane: a preparation plus the student's changes.

:class:`Cell` holds every parameter a student (or ``vlab run --set``) can change, in SI
units, and derives what the integrator needs: reversal potentials (Nernst unless pinned),
the leak split into ionic components, temperature factors and drug block.

Parameters (``Cell.PARAMETERS`` is the authoritative list with units):

- conductances ``gNa gK gM gL gCl gH`` (S/m^2; written e.g. ``120 mS/cm2``)
- ``Cm`` (F/m^2), ``area`` (m^2), ``temperature`` (degC), ``q10``, ``q10_M``
- concentrations ``Na_in Na_out K_in K_out Cl_in Cl_out Ca_in Ca_out`` (mM)
- reversal potentials ``E_Na E_K E_Cl`` (V): setting one pins it; ``E_L`` (V): leak reversal
- ``vt`` (V, Traub threshold shift), ``tau_max_M`` (s)

Pinning: a preparation may pin reversal potentials (HH's squid values). A pinned E stays
fixed, also across temperature changes, until that ion's concentrations are changed;
from then on it follows the Nernst equation. At that moment the concentration on the
other side is first reconciled with the pinned value (Nernst at the present temperature
equals the pin), so the change moves E from the pinned value the way the gradient moved.

Leak: a preparation's leak (``gL``, ``E_L``) is split into K+ and Na+ leak conductances
whose weighted reversal equals ``E_L`` at the preparation's default solutions. The split
(a property of the leak channels) is kept when solutions change, so the resting potential
follows the ion gradients (e.g. raised external K+ depolarises the cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vlab.sim import kernel
from vlab.sim.drugs import Drug, get_drug
from vlab.sim.ions import (
    VALENCE,
    check_concentration,
    check_temperature,
    ghk_voltage,
    nernst,
    thermal_voltage,
)
from vlab.sim.kinetics import h_current_gate, m_current_gate, steady_state
from vlab.sim.preparation import Preparation, load_preparation
from vlab.units import UnitError, parse_quantity

__all__ = ["Cell", "ParameterError", "Parameter"]


class ParameterError(ValueError):
    """A parameter name or value a membrane cannot have; the message lists what is valid."""


@dataclass(frozen=True)
class Parameter:
    name: str
    dimension: str  # a vlab.units dimension, or "number"
    unit: str  # display unit
    lo: float  # allowed range, SI
    hi: float
    doc: str


_P = Parameter
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in [
        _P("gNa", "conductance_density", "mS/cm2", 0, 3e4, "maximal Na+ conductance"),
        _P(
            "gK",
            "conductance_density",
            "mS/cm2",
            0,
            1e4,
            "maximal delayed-rectifier K+ conductance",
        ),
        _P("gM", "conductance_density", "mS/cm2", 0, 1e3, "maximal slow M-type K+ conductance"),
        _P("gL", "conductance_density", "mS/cm2", 0, 3e3, "leak conductance"),
        _P("gCl", "conductance_density", "mS/cm2", 0, 1e3, "chloride conductance (0 = off)"),
        _P(
            "gH",
            "conductance_density",
            "mS/cm2",
            0,
            1e2,
            "maximal hyperpolarisation-activated cation (Ih, HCN) conductance",
        ),
        _P("Cm", "capacitance_density", "uF/cm2", 1e-4, 1.0, "specific membrane capacitance"),
        _P("area", "area", "cm2", 1e-12, 1e-2, "membrane area"),
        _P("temperature", "temperature", "degC", -5, 50, "temperature"),
        _P("q10", "number", "", 1.0, 10.0, "rate factor per 10 degC for the Na+/K+ gates"),
        _P("q10_M", "number", "", 1.0, 10.0, "rate factor per 10 degC for the M gate"),
        _P("E_L", "voltage", "mV", -0.2, 0.2, "leak reversal potential"),
        _P("E_Na", "voltage", "mV", -0.2, 0.2, "Na+ reversal potential (setting it pins it)"),
        _P("E_K", "voltage", "mV", -0.2, 0.2, "K+ reversal potential (setting it pins it)"),
        _P("E_Cl", "voltage", "mV", -0.2, 0.2, "Cl- reversal potential (setting it pins it)"),
        _P("vt", "voltage", "mV", -0.1, 0.0, "threshold shift of Traub-Miles kinetics"),
        _P("tau_max_M", "time", "ms", 1e-3, 100.0, "maximal time constant of the M gate"),
    ]
    + [
        _P(f"{ion}_{side}", "concentration", "mM", 1e-9, 5000, f"{side}side {ion} concentration")
        for ion in ("Na", "K", "Cl", "Ca")
        for side in ("in", "out")
    ]
}


class Cell:
    """A membrane ready to simulate. All public values are SI (see module docstring)."""

    PARAMETERS = PARAMETERS

    def __init__(self, preparation: Preparation | str = "squid") -> None:
        if isinstance(preparation, str):
            preparation = load_preparation(preparation)
        self.prep = preparation
        p = preparation
        self.values: dict[str, float] = {
            **p.conductances,
            "Cm": p.cm,
            "area": p.area,
            "temperature": p.temperature,
            "q10": p.q10,
            "q10_M": p.q10_M,
            "E_L": p.e_leak,
            "vt": p.vt,
            "tau_max_M": p.tau_max_M,
            **p.concentrations,
        }
        self.pins: dict[str, float] = dict(p.pinned)
        #: drug name -> concentration at the membrane (SI)
        self.drugs: dict[str, float] = {}
        #: drug name -> side it is applied on ("outside" bath / "inside" perfusion)
        self.drug_sides: dict[str, str] = {}
        #: drug name -> {target: fraction bound now}, from the bath's binding kinetics;
        #: a drug missing here is at binding equilibrium with its concentration
        self.occupancy: dict[str, dict[str, float]] = {}
        #: fraction of Na+ channels whose inactivation pronase has removed (0..1)
        self.pronase_removed = 0.0
        self._leak_fractions = self._solve_leak_split()

    # ------------------------------------------------------------------ parameters
    def get(self, name: str) -> float:
        if name in ("E_Na", "E_K", "E_Cl", "E_Ca"):
            return self.reversal(name[2:])
        if name not in self.values:
            raise ParameterError(self._unknown(name))
        return self.values[name]

    def set(self, name: str, value: float | str) -> None:
        """Change one parameter. ``value`` is SI, or a string with units (``"20 mM"``).

        Raises :class:`ParameterError` naming the parameter, the value and what is allowed.
        """
        if name not in PARAMETERS:
            raise ParameterError(self._unknown(name))
        spec = PARAMETERS[name]
        v = self._to_si(spec, value)
        if not (spec.lo <= v <= spec.hi):
            raise ParameterError(
                f"{name} = {self._show(spec, v)} is outside the allowed range "
                f"{self._show(spec, spec.lo)} .. {self._show(spec, spec.hi)}"
            )
        if spec.dimension == "concentration":
            try:
                check_concentration(name, v)
            except ValueError as exc:
                raise ParameterError(str(exc)) from exc
            ion, side = name.split("_")
            if ion in self.pins:
                self._reconcile_with_pin(ion, side)
                self.pins.pop(ion)  # a changed gradient releases HH's pinned value
        if name == "temperature":
            check_temperature(v)
        if name in ("E_Na", "E_K", "E_Cl"):
            self.pins[name[2:]] = v
            return
        self.values[name] = v
        if name == "E_L":
            self._leak_fractions = self._solve_leak_split()

    def _reconcile_with_pin(self, ion: str, changing_side: str) -> None:
        """Before a pinned ion's concentration changes, set the *other* side's concentration
        so the Nernst potential at the present temperature equals the pinned value. The
        change then moves E by exactly (RT/zF) ln(new/old) from the pinned value, in the
        direction the gradient moved (never the wrong way, at any temperature)."""
        v = self.values
        e = self.pins[ion]
        k = VALENCE[ion] * e / thermal_voltage(v["temperature"])  # ln(out/in)
        if changing_side == "out":
            other, value = f"{ion}_in", v[f"{ion}_out"] * math.exp(-k)
        else:
            other, value = f"{ion}_out", v[f"{ion}_in"] * math.exp(k)
        try:
            check_concentration(other, value)
        except ValueError as exc:
            raise ParameterError(str(exc)) from exc
        v[other] = value

    def _to_si(self, spec: Parameter, value) -> float:
        if isinstance(value, str):
            if spec.dimension == "number":
                try:
                    v = float(value)
                except ValueError:
                    raise ParameterError(f"{spec.name}: {value!r} is not a number") from None
            else:
                try:
                    v = parse_quantity(value, spec.dimension).value
                except UnitError as exc:
                    raise ParameterError(f"{spec.name}: {exc}") from exc
        else:
            v = float(value)
        if not math.isfinite(v):
            raise ParameterError(f"{spec.name} must be a finite number, not {value!r}")
        return v

    @staticmethod
    def _show(spec: Parameter, v: float) -> str:
        if spec.dimension in ("number", "temperature", "concentration"):
            return f"{v:g} {spec.unit}".strip()
        factor = parse_quantity(f"1 {spec.unit}", spec.dimension).value
        return f"{v / factor:g} {spec.unit}"

    @staticmethod
    def _unknown(name: str) -> str:
        return f"unknown parameter {name!r}; valid names: {', '.join(PARAMETERS)}"

    def parameter_table(self) -> list[tuple[str, str, str]]:
        """``(name, value with unit, meaning)`` for every parameter, for listings."""
        rows = []
        for name, spec in PARAMETERS.items():
            if name.startswith("Ca_") and name not in self.values:
                continue
            v = self.get(name)
            note = spec.doc
            if name[2:] in self.pins and name.startswith("E_"):
                note += " [pinned]"
            rows.append((name, self._show(spec, v), note))
        return rows

    # ------------------------------------------------------------------ ions
    def reversal(self, ion: str) -> float:
        """Reversal potential (V) of ``ion``: pinned value, else Nernst."""
        if ion in self.pins:
            return self.pins[ion]
        return nernst(
            ion, self.values[f"{ion}_out"], self.values[f"{ion}_in"], self.values["temperature"]
        )

    def is_pinned(self, ion: str) -> bool:
        return ion in self.pins

    def nernst_potentials(self) -> dict[str, float]:
        """Nernst potential (V) of every ion with concentrations, ignoring pins."""
        out = {}
        for ion in VALENCE:
            if f"{ion}_in" in self.values:
                out[ion] = nernst(
                    ion,
                    self.values[f"{ion}_out"],
                    self.values[f"{ion}_in"],
                    self.values["temperature"],
                )
        return out

    def reversals(self) -> dict[str, float]:
        """Reversal potentials used by the model (V): Na, K, Cl and leak (L)."""
        r = {ion: self.reversal(ion) for ion in ("Na", "K", "Cl")}
        r["L"] = self.leak_reversal()
        return r

    def ghk_estimate(self) -> float:
        """GHK resting-potential estimate (V) from the preparation's relative permeabilities,
        leaving out ions the membrane has no conductance for now (Cl- while gCl = 0)."""
        return ghk_voltage(self.values, self.ghk_permeabilities(), self.values["temperature"])

    def ghk_permeabilities(self) -> dict[str, float]:
        """The preparation's relative permeabilities of the ions the membrane conducts now."""
        return {ion: p for ion, p in self.prep.permeability.items() if self._conducts(ion)}

    def _conducts(self, ion: str) -> bool:
        """Whether any conductance of the model carries ``ion`` at present."""
        v, leak = self.values, self._leak_fractions
        carried = {
            "Na": v["gNa"] + v["gL"] * leak.get("Na", 0.0),
            "K": v["gK"] + v["gM"] + v["gL"] * leak.get("K", 0.0),
            "Cl": v["gCl"] + v["gL"] * leak.get("Cl", 0.0),
        }
        return carried.get(ion, 0.0) > 0

    # ------------------------------------------------------------------ leak
    def _solve_leak_split(self) -> dict[str, float]:
        """Fractions of gL carried by each leak ion, plus 'X' (fixed at E_L) if unsplittable."""
        carriers = self.prep.leak_carriers
        e_l = self.values["E_L"]
        if len(carriers) == 2:
            a, b = carriers
            ea, eb = self.reversal(a), self.reversal(b)
            if abs(ea - eb) > 1e-6:
                fa = (e_l - eb) / (ea - eb)
                if 0.0 <= fa <= 1.0:
                    return {a: fa, b: 1.0 - fa}
        if len(carriers) == 1:
            return {carriers[0]: 1.0}
        return {"X": 1.0}

    def leak_reversal(self) -> float:
        """Reversal potential (V) of the whole leak at the present solutions."""
        fr = self._leak_fractions
        return sum(
            f * (self.values["E_L"] if ion == "X" else self.reversal(ion)) for ion, f in fr.items()
        )

    # ------------------------------------------------------------------ drugs
    def set_drug(self, name: str, concentration: float, side: str | None = None) -> None:
        """Set a drug's concentration at the membrane (SI), at binding equilibrium; 0
        removes it. ``side`` is "outside" or "inside" (None: the drug's usual side on this
        preparation, e.g. internal perfusion for TEA on the squid axon)."""
        drug = get_drug(name)
        drug.check_concentration(concentration)
        side = drug.resolve_side(self.prep.name, side)
        self.occupancy.pop(drug.name, None)
        if concentration > 0:
            self.drugs[drug.name] = concentration
            self.drug_sides[drug.name] = side
            if drug.mechanism == "remove-inactivation" and drug.actions_on(self.prep.name, side):
                self.pronase_removed = max(self.pronase_removed, 1.0)
        else:
            self.drugs.pop(drug.name, None)
            self.drug_sides.pop(drug.name, None)

    def drug_side(self, name: str) -> str:
        return get_drug(name).resolve_side(self.prep.name, self.drug_sides.get(name))

    def block_fractions(self) -> dict[str, float]:
        """Fraction of each target conductance removed by pore blockers now (bound
        fraction from the bath's kinetics, or equilibrium)."""
        keep = {"Na": 1.0, "K": 1.0, "M": 1.0}
        for name, c in self.drugs.items():
            d: Drug = get_drug(name)
            if d.mechanism != "block":
                continue
            bound = self.occupancy.get(d.name)
            for a in d.actions_on(self.prep.name, self.drug_side(name)):
                b = bound.get(a.target, 0.0) if bound is not None else a.occupancy(c)
                keep[a.target] *= 1.0 - b
        return {k: 1.0 - v for k, v in keep.items()}

    def fraction_blocked(self, name: str) -> float:
        """Fraction of its target a drug at the membrane removes now (tonic block for a
        local anaesthetic; see ``lido_bound`` for the use-dependent state)."""
        d = get_drug(name)
        c = self.drugs.get(d.name, 0.0)
        bound = self.occupancy.get(d.name)
        if d.mechanism == "block" and bound is not None:
            return max(bound.values(), default=0.0)
        return d.fraction_blocked(c, self.prep.name, self.drug_side(d.name))

    def lidocaine(self) -> tuple[float, float, float, float, float]:
        """Local anaesthetic for the kernel: (concentration mM, k_on open, k_on resting,
        k_on inactivated (1/(mM ms)), k_off (1/ms)).

        Rates are given even at zero concentration so bound drug unbinds after wash-out.
        """
        from vlab.sim.drugs import load_drugs

        for d in load_drugs().values():
            if d.mechanism != "use-dependent":
                continue
            side = self.drug_side(d.name)
            acts = d.actions_on(self.prep.name, side)
            if not acts:
                continue
            a = acts[0]
            koff = 1.0 / (a.unbinding_time * 1e3)
            return (
                self.drugs.get(d.name, 0.0),
                koff / a.kd_open,
                koff / a.kd,
                koff / a.kd_inactivated,
                koff,
            )
        return 0.0, 0.0, 0.0, 0.0, 1.0

    # ------------------------------------------------------------------ for the integrator
    def phi(self) -> float:
        """Temperature factor of the Na+/K+ gate rates."""
        v = self.values
        return v["q10"] ** ((v["temperature"] - self.prep.kinetics_temperature) / 10.0)

    def kernel_params(self) -> np.ndarray:
        """Parameter vector for :func:`vlab.sim.kernel.advance` (textbook units)."""
        v = self.values
        P = np.zeros(kernel.N_PARAMS)
        blk = self.block_fractions()
        g = lambda name: v[name] / 10.0  # S/m^2 -> mS/cm^2  # noqa: E731
        P[kernel.P_C] = v["Cm"] * 100.0
        P[kernel.P_GNA] = g("gNa") * (1.0 - blk["Na"])
        P[kernel.P_GK] = g("gK") * (1.0 - blk["K"])
        P[kernel.P_GM] = g("gM") * (1.0 - blk["M"])
        gl = g("gL")
        fr = self._leak_fractions
        P[kernel.P_GLK] = gl * fr.get("K", 0.0)
        P[kernel.P_GLNA] = gl * fr.get("Na", 0.0)
        P[kernel.P_GLX] = gl * fr.get("X", 0.0)
        # a Cl- leak carrier adds to the switchable Cl- conductance
        P[kernel.P_GCL] = g("gCl") + gl * fr.get("Cl", 0.0)
        P[kernel.P_ENA] = self.reversal("Na") * 1e3
        P[kernel.P_EK] = self.reversal("K") * 1e3
        P[kernel.P_ECL] = self.reversal("Cl") * 1e3
        P[kernel.P_ELX] = v["E_L"] * 1e3
        P[kernel.P_PHI] = self.phi()
        P[kernel.P_PRONASE] = min(max(self.pronase_removed, 0.0), 1.0)
        c, kon_o, kon_r, kon_i, koff = self.lidocaine()
        P[kernel.P_LIDO_C], P[kernel.P_LIDO_KON], P[kernel.P_LIDO_KOFF] = c, kon_o, koff
        P[kernel.P_LIDO_KONR], P[kernel.P_LIDO_KONI] = kon_r, kon_i
        phi_m = v["q10_M"] ** ((v["temperature"] - self.prep.kinetics_temperature) / 10.0)
        P[kernel.P_TAU_M] = v["tau_max_M"] * 1e3 / phi_m
        P[kernel.P_VT] = v["vt"] * 1e3
        P[kernel.P_GH] = g("gH")
        P[kernel.P_EH] = self.prep.e_h * 1e3
        P[kernel.P_KIND] = self.prep.kinetics_id
        if not np.all(np.isfinite(P)):
            raise ParameterError("the membrane parameters contain a non-finite value")
        return P

    # ------------------------------------------------------------------ steady state
    def steady_state_gates(
        self, v: float, P: np.ndarray | None = None
    ) -> tuple[float, float, float, float, float, float]:
        """(m, h, n, p, lidocaine-bound, q) at steady state at ``v`` volts."""
        vm = v * 1e3
        m, h, n = steady_state(self.prep.kinetics_id, vm, self.values["vt"] * 1e3)
        p = m_current_gate(vm, 1.0)[0]
        aq, bq = h_current_gate(vm)
        q = aq / (aq + bq)
        if P is None:
            P = self.kernel_params()
        c = P[kernel.P_LIDO_C]
        b = 0.0
        if c > 0:  # (no local anaesthetic: its rate kernel need not even be loaded)
            on = kernel.lido_on_rate(P, m, h, c)
            b = on / (on + P[kernel.P_LIDO_KOFF])
        return m, h, n, p, b, q

    def anaesthetic_block_at_rest(self, c: float, v: float) -> float:
        """Equilibrium fraction of Na+ channels holding a local anaesthetic at
        concentration ``c`` (SI) with the membrane held at ``v`` (V): the modulated
        receptor's tonic block, weighted over resting, open and inactivated channels."""
        if c <= 0:
            return 0.0
        P = self.kernel_params()
        m, h, _ = steady_state(self.prep.kinetics_id, v * 1e3, self.values["vt"] * 1e3)
        on = kernel.lido_on_rate(P, m, h, c)
        return on / (on + P[kernel.P_LIDO_KOFF])

    def steady_state_current(self, v: np.ndarray | float) -> np.ndarray:
        """Ionic current density (A/m^2) with every gate at steady state at ``v`` (V)."""
        P = self.kernel_params()
        vm = np.atleast_1d(np.asarray(v, dtype=float)) * 1e3
        out = np.empty_like(vm)
        buf = np.empty((1, kernel.N_REC, 1))
        for i, x in enumerate(vm):
            m, h, n, p, b, q = self.steady_state_gates(x * 1e-3, P)
            out[i] = kernel._record(P, buf, 0, 0, x, m, h, n, p, b, q, 0.0, True)
        return out * 1e-2  # uA/cm^2 -> A/m^2

    def rest(self, holding_density: float = 0.0):
        """The resting state as a :class:`vlab.sim.rest.Rest`: the most negative *stable*
        fixed point of the full membrane equations with ``holding_density`` (A/m^2)
        injected; ``.stable`` is False when there is none (the cell fires on its own)."""
        from vlab.sim.rest import find_rest

        return find_rest(self, holding_density)

    def resting_potential(self, holding_density: float = 0.0) -> float:
        """The resting (or held) potential (V): ``rest(holding_density).v``. When no fixed
        point is stable this is the unstable steady state; check :meth:`rest`."""
        return self.rest(holding_density).v

    def describe(self) -> dict:
        """JSON-serialisable snapshot for provenance and file headers (SI, with names)."""
        return {
            "preparation": self.prep.name,
            "parameters": dict(self.values),
            "pinned": {f"E_{k}": v for k, v in self.pins.items()},
            "reversal_V": self.reversals(),
            "drugs": {
                n: {
                    "concentration": c,
                    "side": self.drug_side(n),
                    "fraction_blocked": self.fraction_blocked(n),
                }
                for n, c in self.drugs.items()
            },
            "pronase_removed": self.pronase_removed,
        }
