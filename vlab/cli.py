"""The ``vlab`` command.

``vlab``                       open the rig window (squid, gap-free current clamp)
``vlab --screenshot F.png``    render the rig after running a protocol (see ``vlab --help``)
``vlab --smoke-test``          start, paint one frame, shut down
``vlab run PROTOCOL ...``      run a protocol headless (``--out`` CSV/NPZ/ABF/NWB/ATF/.vlab)
``vlab convert IN OUT``        convert a recording between formats (by extension)
``vlab preparations [NAME]``   list preparations, or show one with its parameters and sources
``vlab protocols``             list the built-in protocols
``vlab drugs``                 list the drugs with their IC50s and sources

Exit status: 0 success, 2 bad input (one-line reason on stderr), 1 simulation failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vlab import __version__
from vlab.clamp import ClampMode

GUI_FLAGS = ("--screenshot", "--smoke-test", "--protocol", "--preparation", "--drug")
COMMANDS = ("run", "convert", "preparations", "protocols", "protocol", "drugs", "practical")


class UsageError(Exception):
    """Bad input from the command line; reported in one line with exit status 2."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        from vlab.gui.app import main as gui_main

        return gui_main(argv)
    # the practicals' sub-commands (and their imports) only when they are asked for
    parser = _parser(practicals=argv[0] == "practical")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return int(exc.code or 0) and 2
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and closed early
        return 0
    except UsageError as exc:
        print(f"vlab: {exc}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"vlab: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"vlab: simulation failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        from vlab.recording.errors import RecordingFileError  # not at start-up: numpy

        if isinstance(exc, RecordingFileError):  # a file could not be written or read
            print(f"vlab: {_one_line(exc)}", file=sys.stderr)
            return 2
        raise


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _parser(practicals: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vlab",
        description="vlab, a virtual electrophysiology lab. Without a command it opens the rig "
        "window; GUI options: --screenshot FILE.png [--protocol NAME] [--preparation NAME] "
        "[--drug SPEC ...], --smoke-test.",
    )
    p.add_argument("--version", action="version", version=f"vlab {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a protocol headless and write its recording")
    r.add_argument("protocol", help="built-in protocol name (see `vlab protocols`) or a .toml file")
    r.add_argument(
        "--preparation", default="squid", help="preparation name (see `vlab preparations`)"
    )
    r.add_argument(
        "--drug",
        action="append",
        default=[],
        metavar="NAME=CONC[@X0-X1]",
        help="drug in the bath at equilibrium, e.g. TTX=100nM (repeatable); on an "
        "axon, TTX=1uM@2cm-3cm applies it to that stretch only",
    )
    r.add_argument(
        "--demyelinate",
        action="append",
        default=[],
        metavar="X0-X1",
        help="myelinated axon: strip the myelin between two places, e.g. 1cm-1.5cm",
    )
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a preparation parameter, e.g. gNa=0mS/cm2, K_out=20mM",
    )
    r.add_argument("--temperature", help="temperature in degC, e.g. 6.3 or '18.5 degC'")
    r.add_argument(
        "--record",
        default="",
        help="extra variables to record, comma separated: m,h,n,p,INa,IK,IL,ICl,IM,Iion,gNa,gK,gCl,gM",
    )
    r.add_argument(
        "--out",
        help="write the recording to this file; the extension chooses the format: "
        ".csv, .npz, .abf, .nwb, .atf or .vlab (an experiment file the rig window opens)",
    )
    r.add_argument("--seed", type=int, default=0, help="random seed (recorded in the provenance)")
    r.add_argument(
        "--analyse",
        "--analyze",
        action="store_true",
        help="print a table of measurements per sweep",
    )
    r.add_argument("--dt-max", type=float, default=None, help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_run)

    pr = sub.add_parser("preparations", help="list preparations or show one")
    pr.add_argument("name", nargs="?")
    pr.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="show the preparation with a parameter changed, e.g. K_out=12mM",
    )
    pr.add_argument("--temperature", default=None, help="temperature, e.g. 30 (degC)")
    pr.add_argument(
        "--drug", action="append", default=[], metavar="NAME=CONC", help="a drug at equilibrium"
    )
    pr.set_defaults(func=cmd_preparations)

    pl = sub.add_parser("protocols", help="list the built-in protocols")
    pl.set_defaults(func=cmd_protocols)

    po = sub.add_parser("protocol", help="import a Clampex protocol (ABF epoch table) as TOML")
    po_sub = po.add_subparsers(dest="protocol_command", required=True)
    pi = po_sub.add_parser(
        "import",
        help="write the protocol of a Clampex .abf file as vlab protocol TOML",
        description="Turn the epoch table of FILE.abf (DAC 0) into a vlab protocol whose "
        "command is identical to Clampex's; print it, or write it to --out.",
    )
    pi.add_argument("source", metavar="FILE.abf")
    pi.add_argument("-o", "--out", metavar="OUT.toml", help="write the TOML here (atomically)")
    pi.add_argument(
        "--approximate",
        action="store_true",
        help="accept a protocol vlab can only approximate (ramps, last level between sweeps)",
    )
    pi.set_defaults(func=cmd_protocol_import)

    dr = sub.add_parser("drugs", help="list the drugs")
    dr.set_defaults(func=cmd_drugs)

    cv = sub.add_parser(
        "convert",
        help="convert a recording between formats (by extension)",
        description="Read IN (.vlab, .npz, .csv, .abf, .atf, .nwb) and write OUT "
        "(.csv, .npz, .abf, .nwb, .atf, .vlab).",
    )
    cv.add_argument("source", metavar="IN")
    cv.add_argument("target", metavar="OUT")
    cv.set_defaults(func=cmd_convert)

    pc = sub.add_parser("practical", help="guided practicals (list, class, answers, grade)")
    if practicals:
        from vlab.practicals.cli import add_arguments as practical_arguments

        practical_arguments(pc)
    pc.set_defaults(func=cmd_practical)
    return p


# ---------------------------------------------------------------------------- run
def build_cell(preparation: str, sets: list[str], drugs: list[str], temperature: str | None):
    """A :class:`~vlab.sim.cell.Cell` configured from command-line style strings."""
    from vlab.sim.cell import Cell
    from vlab.sim.drugs import parse_drug_application

    cell = Cell(preparation)
    if temperature is not None:
        t = temperature.strip()
        try:
            float(t)
            t = f"{t} degC"
        except ValueError:
            pass
        cell.set("temperature", t)
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE with a unit, e.g. K_out=20mM")
        cell.set(name.strip(), value.strip())
    for spec in drugs:
        drug, c, side = parse_drug_application(spec)
        cell.set_drug(drug.name, c, side)
    return cell


def result_to_sweeps(result, protocol, cell, seed: int = 0) -> list:
    """Turn a :class:`~vlab.sim.engine.RunResult` into recording sweeps with provenance."""
    from vlab.recording import Sweep

    prov = provenance(cell, protocol, seed)
    # Sweeps start when the protocol asks (start_to_start), never closer than their length.
    interval = max(protocol.start_to_start or 0.0, protocol.sweep_duration)
    sweeps = []
    for i in range(result.n_sweeps):
        channels = {"command": result.command[i], **{k: v[i] for k, v in result.data.items()}}
        sweeps.append(
            Sweep(
                index=i,
                dt=protocol.sample_interval,
                channels=channels,
                t0=i * interval,
                provenance=prov,
            )
        )
    return sweeps


def provenance(cell, protocol, seed: int) -> dict:
    """Provenance of the sweeps of a ``vlab run`` (the rig's builder, so the keys match)."""
    from vlab.rig.provenance import sweep_provenance

    return sweep_provenance(cell, protocol, seed=seed)


def check_out(out: str | None) -> None:
    """Refuse an ``--out`` file vlab cannot write before anything is simulated."""
    if out is None:
        return
    from vlab.recording import EXPORT_FORMATS

    path = Path(out)
    if path.suffix.lower().lstrip(".") not in EXPORT_FORMATS:
        known = ", ".join(f.extension for f in EXPORT_FORMATS.values())
        raise UsageError(f"cannot write {out}: the extension must be one of {known}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {out}: the folder {folder} does not exist")


def write_out(sweeps, out: str, meta: dict | None, protocol=None, state=None) -> None:
    """Write ``sweeps`` to ``out`` in the format its extension names (see ``EXPORT_FORMATS``)."""
    from vlab.recording import export_sweeps

    check_out(out)
    key = Path(out).suffix.lower().lstrip(".")
    options: dict = {}
    if key == "abf":
        options["protocol"] = protocol  # the ABF epoch table
    elif key == "vlab":
        options["state"] = state or {}
    export_sweeps(sweeps, out, key, None if key in ("abf", "atf") else meta, **options)


def rig_state(cell, protocol) -> dict:
    """The rig settings of a headless run, as the rig window saves them in ``.vlab`` files."""
    from vlab.rig.rig import Rig

    rig = Rig(cell.prep.name)
    rig.cell = cell
    rig.bath.preparation = cell.prep
    for name, c in cell.drugs.items():
        rig.apply_drug(name, c, equilibrated=True)
    rig.set_mode(ClampMode.VC if protocol.mode is ClampMode.VC else ClampMode.CC)
    rig.set_protocol(protocol)
    return rig.state_dict()


def cmd_convert(args) -> int:
    from vlab.protocols import protocol_from_provenance
    from vlab.recording.importers import read_sweeps

    check_out(args.target)
    if not Path(args.source).is_file():
        raise UsageError(f"cannot read {args.source}: no such file")
    found = read_sweeps(args.source)
    if not found.sweeps:
        raise UsageError(f"{args.source} holds no sweeps to convert")
    protocol = protocol_from_provenance(found.sweeps[0].provenance)
    write_out(found.sweeps, args.target, found.metadata or None, protocol, found.state)
    print(f"wrote {args.target} ({len(found.sweeps)} sweeps from {args.source})")
    return 0


def cmd_run(args) -> int:
    from vlab.protocols import load_protocol
    from vlab.sim.engine import DEFAULT_DT_MAX, RECORDABLE, run_protocol
    from vlab.sim.preparation import load_preparation

    check_out(args.out)
    protocol = load_protocol(args.protocol)
    if load_preparation(args.preparation).cable is not None:
        return _run_axon(args, protocol)
    local = [d for d in args.drug if "@" in d]
    if local or args.demyelinate:
        what = f"--drug {local[0]}" if local else "--demyelinate"
        raise UsageError(
            f"{what}: places along an axon need an axon preparation (squid_axon, "
            f"myelinated_axon); {args.preparation} is a single patch of membrane"
        )
    cell = build_cell(args.preparation, args.set, args.drug, args.temperature)
    extra = [x.strip() for x in args.record.split(",") if x.strip()]
    for x in extra:
        if x not in RECORDABLE:
            raise UsageError(f"--record {x!r} unknown; recordable: {', '.join(RECORDABLE)}")
    variables = tuple(dict.fromkeys(["Vm", "Im", *extra]))
    result = run_protocol(cell, protocol, variables=variables, dt_max=args.dt_max or DEFAULT_DT_MAX)
    sweeps = result_to_sweeps(result, protocol, cell, args.seed)
    if args.out:
        state = rig_state(cell, protocol) if args.out.lower().endswith(".vlab") else None
        write_out(sweeps, args.out, None, protocol=protocol, state=state)
        print(f"wrote {args.out} ({result.n_sweeps} sweeps, {len(result.t)} samples each)")
    else:
        _print_summary(result, cell, protocol)
    if args.analyse:
        _print_analysis(result, cell, protocol)
    for note in result.notes:
        print(f"note: {note}")
    return 0


def parse_sites(text: str, length: float) -> dict[str, float]:
    """``"Vm@2cm,Vm@4cm"`` -> {"Vm@2cm": 0.02, ...} (m). Empty: four evenly spaced sites."""
    from vlab.units import UnitError, parse_quantity

    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        return {f"Vm@{f * length * 100:g}cm": f * length for f in (0.2, 0.4, 0.6, 0.8)}
    sites = {}
    for item in items:
        var, sep, where = item.partition("@")
        if var != "Vm" or not sep:
            raise UsageError(
                f"--record {item!r}: on an axon record the membrane potential at a place, "
                "e.g. Vm@2cm,Vm@4cm"
            )
        try:
            x = parse_quantity(where, "length").value
        except UnitError as exc:
            raise UsageError(f"--record {item!r}: {exc}") from None
        if not 0 <= x <= length:
            raise UsageError(f"--record {item!r}: outside the axon (0 to {length * 100:g} cm)")
        sites[item] = x
    return sites


def _run_axon(args, protocol) -> int:
    """`vlab run` on an axon preparation: stimulus at stim_x, Vm recorded at places.

    The set-up is validated by the axon bench's own model (:mod:`vlab.rig.axon_bench`), so
    the command line accepts exactly what the bench window accepts."""
    import numpy as np

    from vlab.recording import Sweep
    from vlab.rig.axon_bench import AxonSetup, parse_stretch, readout
    from vlab.sim.drugs import get_drug, parse_drug_application

    setup = AxonSetup(args.preparation)
    length = AxonSetup.length_of(args.preparation)
    if args.temperature is not None:
        t = args.temperature.strip()
        setup.parameters["temperature"] = (
            t if not t.replace(".", "", 1).lstrip("-").isdigit() else f"{t} degC"
        )
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE with a unit, e.g. stim_x=0cm")
        setup.parameters[name.strip()] = value.strip()
    for spec in args.drug:
        what, _, where = spec.partition("@")
        drug, c, side = parse_drug_application(what)
        if where:
            setup.local_drugs.append((drug.name, c, parse_stretch(where, length, "--drug")))
        else:
            setup.bath_drugs.append((drug.name, c, side))
    setup.demyelinated = [parse_stretch(s, length, "--demyelinate") for s in args.demyelinate]
    axon = setup.build()
    sites = parse_sites(args.record, length)
    res = axon.run(protocol, record=sites, dt_max=args.dt_max or None)
    command = res.command
    if command is None:  # a run with a protocol always returns its command
        raise RuntimeError("the axon run returned no stimulus command")
    cell = axon.cell
    if args.out:
        prov = provenance(cell, protocol, args.seed)
        prov["cable"] = dict(axon.geometry)
        if axon.local_drugs:
            prov["local_drugs"] = [
                f"{name} {get_drug(name).format(c)} at {x0 * 100:g}-{x1 * 100:g} cm"
                for x0, x1, name, c in axon.local_drugs
            ]
        if axon.demyelinated:
            prov["demyelinated_cm"] = [f"{x0 * 100:g}-{x1 * 100:g}" for x0, x1 in axon.demyelinated]
        prov["stimulated_area_cm2"] = axon.stimulated_area() * 1e4
        sweeps = []
        for i in range(command.shape[0]):
            ch = {"Im": command[i], **{k: v[i] for k, v in res.traces.items()}}
            sweeps.append(Sweep(index=i, dt=protocol.sample_interval, channels=ch, provenance=prov))
        write_out(sweeps, args.out, None, protocol=protocol)
        print(f"wrote {args.out}")
    if args.analyse or not args.out:
        labels = list(sites)
        print(
            f"{protocol.name} on {axon.prep.title}: stimulus at "
            f"{axon.geometry['stim_x'] * 100:g} cm, {res.info['n_compartments']} compartments"
        )
        for i in range(command.shape[0]):
            print(f"sweep {i + 1}:")
            traces = [res.traces[lab][i] for lab in labels]
            r = readout(res.t, traces, [res.sites[lab] for lab in labels])
            for lab, v, lat in zip(labels, traces, r.latencies, strict=True):
                text = f"spike at {lat * 1e3:.3f} ms" if np.isfinite(lat) else "no spike"
                print(f"  {lab:12s} peak {v.max() * 1e3:7.2f} mV  {text}")
            for k, (a, b) in enumerate(zip(labels[:-1], labels[1:], strict=True)):
                pair = readout(res.t, traces[k : k + 2], [res.sites[a], res.sites[b]])
                cv = pair.velocity
                txt = (
                    f"{cv:.3f} m/s"
                    if np.isfinite(cv)
                    else "not measurable (no spike at both sites)"
                )
                print(f"  conduction velocity {a} -> {b}: {txt}")
    return 0


def _print_summary(result, cell, protocol) -> None:
    print(
        f"{protocol.name} on {cell.prep.title}: {result.n_sweeps} sweep(s) of "
        f"{protocol.sweep_duration * 1e3:g} ms"
    )
    for i in range(result.n_sweeps):
        v, im = result.data["Vm"][i] * 1e3, result.data["Im"][i] * 1e9
        print(
            f"  sweep {i + 1}: Vm {v.min():.2f} .. {v.max():.2f} mV, "
            f"Im {im.min():.4g} .. {im.max():.4g} nA"
        )


def _print_analysis(result, cell, protocol) -> None:
    """Per-sweep measurements. Voltage clamp is measured on the ionic current: the ideal
    clamp's capacitive charge (one sample at each command step) is taken out, as an
    amplifier's capacitance compensation would."""
    import numpy as np

    from vlab.analysis import format_table, summarise_sweeps
    from vlab.analysis.family import TRANSIENT_SKIP, stimulus_window

    vc = protocol.mode is ClampMode.VC
    dt = protocol.sample_interval
    window = stimulus_window(result.t, result.command)
    c_total = cell.values["Cm"] * cell.values["area"]
    if vc:
        icap = np.zeros_like(result.command)
        icap[:, 1:] = c_total * np.diff(result.command, axis=1) / dt
        if window is not None:  # the peak window of the one I-V pipeline (vlab.analysis.family)
            window = (min(window[0] + TRANSIENT_SKIP, window[1] - 2 * dt), window[1] - dt)
        rows = summarise_sweeps(result.t, result.data["Im"] - icap, ClampMode.VC, window=window)
    else:
        if window is not None:
            window = (window[0], result.t[-1] + dt)
        rows = summarise_sweeps(
            result.t,
            result.data["Vm"],
            ClampMode.CC,
            window=window,
            i_inj=result.data["Im"],
            cm=c_total,
        )
    print(format_table(rows))


# ---------------------------------------------------------------------------- listings
def cmd_preparations(args) -> int:
    from vlab.sim.cell import Cell
    from vlab.sim.preparation import list_preparations

    preps = list_preparations()
    if not args.name:
        for name in preps:
            cell = Cell(name)
            print(f"{name:16s} {cell.prep.title}")
        print("\n`vlab preparations NAME` shows parameters (names for --set) and sources.")
        return 0
    if args.name not in preps:
        raise UsageError(f"unknown preparation {args.name!r} (available: {', '.join(preps)})")
    cell = build_cell(args.name, args.set, args.drug, args.temperature)
    p = cell.prep
    print(f"{p.name}: {p.title}\n")
    print(_wrap(p.description))
    print(
        f"\nkinetics: {p.kinetics} (rates measured at {p.kinetics_temperature:g} degC, "
        f"Q10 {p.q10:g}); temperature {cell.values['temperature']:g} degC"
    )
    print("\nReversal potentials:")
    for ion in ("Na", "K", "Cl"):
        how = (
            "pinned (held fixed, as in the original model)"
            if cell.is_pinned(ion)
            else "Nernst, from concentrations"
        )
        print(f"  E_{ion:2s} {cell.reversal(ion) * 1e3:8.2f} mV   {how}")
    print(
        f"  E_L  {cell.leak_reversal() * 1e3:8.2f} mV   leak, carried by "
        f"{' and '.join(p.leak_carriers) or 'a fixed reversal'}"
    )
    if cell.values.get("gH", 0.0) > 0:
        print(f"  E_h  {p.e_h * 1e3:8.2f} mV   Ih (HCN) reversal, fixed")
    left_out = sorted(set(p.permeability) - set(cell.ghk_permeabilities()))
    print(
        f"  GHK resting estimate {cell.ghk_estimate() * 1e3:.2f} mV"
        + (f" (without {', '.join(left_out)}: no conductance)" if left_out else "")
    )
    rest = cell.rest()
    print(f"  Model: {rest.describe()}")
    print(
        "  (rest = most negative steady state whose Jacobian eigenvalues all have negative "
        "real parts)"
    )
    taus = ", ".join(f"{side} tau {tau:.3g} s" for side, tau in p.exchange.items())
    print()
    print(_wrap(f"Perfusion (drug exchange, tau = volume/flow): {taus}. {p.perfusion_note}"))
    print("\nParameters (vlab run --set NAME=VALUE):")
    for name, value, doc in cell.parameter_table():
        print(f"  {name:16s} {value:>16s}   {doc}")
    if p.cable is not None:
        from vlab.sim.preparation import CABLE_PARAMETERS
        from vlab.units import parse_quantity

        print("\nAxon (cable) parameters, also settable with --set:")
        for name, (dim, unit, _, _, doc) in CABLE_PARAMETERS.items():
            if name not in p.cable:
                continue
            v = p.cable[name]
            shown = (
                f"{v:g}"
                if dim == "number"
                else f"{v / parse_quantity('1 ' + unit, dim).value:g} {unit}"
            )
            print(f"  {name:16s} {shown:>16s}   {doc}")
        print("  record with --record Vm@2cm,Vm@4cm; --analyse reports the conduction velocity")
    print("\nSources:")
    for s in p.sources:
        print(_wrap(f"- {s}", indent="  "))
    return 0


def cmd_protocols(args) -> int:
    from vlab.protocols import builtin_protocols, load_protocol

    for name in builtin_protocols():
        p = load_protocol(name)
        print(f"{name:28s} {p.mode.value} {p.sweeps:3d} sweep(s)  {p.name}")
    return 0


def cmd_protocol_import(args) -> int:
    from vlab.atomic import write_text_atomic
    from vlab.protocols import protocol_to_toml
    from vlab.protocols.abf_import import protocol_from_abf

    if args.out is not None and not args.out.endswith(".toml"):
        raise UsageError(f"--out {args.out}: a protocol is written to a .toml file")
    protocol = protocol_from_abf(args.source, approximate=args.approximate)
    text = protocol_to_toml(protocol)
    if args.out is None:
        print(text, end="")
        return 0
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"--out {args.out}: the folder {out.parent} does not exist")
    write_text_atomic(out, text)
    print(f"wrote {out} ({protocol.sweeps} sweeps, {len(protocol.epochs)} epochs)")
    return 0


def cmd_drugs(args) -> int:
    from vlab.sim.drugs import load_drugs
    from vlab.sim.preparation import list_preparations, load_preparation

    for d in load_drugs().values():
        print(f"{d.name} ({d.title}), {d.mechanism}: {d.summary}")
        for a in d.actions:
            preps = "every preparation" if "*" in a.preparations else ", ".join(a.preparations)
            where = f"  {a.target} channels, {a.side}, on {preps}: "
            if not a.effective:
                how = "no effect"
            elif d.mechanism == "block":
                how = (
                    f"Kd {d.format(a.kd)}, unbinding time {a.unbinding_time:g} s "
                    f"(k_off {a.k_off:.3g} /s, k_on {a.k_on * 1e3:.3g} /(M s))"
                )
            elif d.mechanism == "use-dependent":
                how = (
                    f"Kd resting {d.format(a.kd)}, inactivated {d.format(a.kd_inactivated)}, "
                    f"open {d.format(a.kd_open)}; unbinding time {a.unbinding_time:g} s"
                )
            else:
                how = (
                    f"removes inactivation, tau {a.time_constant:g} s at saturation, half rate "
                    f"at {d.format(a.half_rate)} (irreversible)"
                )
            print(_wrap(where + how, indent="    "))
            print(_wrap(f"source: {a.source}", indent="      "))
        for s in d.sources:
            print(_wrap(f"- {s}", indent="    "))
        print()
    print("Exchange (first order, tau = volume / flow):")
    for name in list_preparations():
        p = load_preparation(name)
        taus = ", ".join(f"{side} {tau:.3g} s" for side, tau in p.exchange.items())
        print(_wrap(f"  {name}: {taus}. {p.perfusion_note}", indent="    "))
    print(
        "\nA drug is given on its usual side for the preparation; choose one with "
        "--drug NAME:inside=C or NAME:outside=C."
    )
    return 0


def cmd_practical(args) -> int:
    try:
        from vlab.practicals.cli import run as practical_run
    except ImportError:
        raise UsageError("guided practicals are not available in this version yet") from None
    return practical_run(args)


def _wrap(text: str, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, width=96, initial_indent=indent, subsequent_indent=indent + "  ")
