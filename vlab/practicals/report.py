"""The student's report: one self-contained HTML file (inline CSS, inline SVG figures).

:func:`export_report` writes the practical's title, the student ID, every question with
the student's answer and the feedback it got, the sweeps that answered the recording
questions drawn as SVG polylines (no plotting library, no external files), and the
provenance of those sweeps (preparation, solutions, drugs, protocol, vlab version). The
file opens in any browser and prints to PDF from there; the GUI may also print it with
Qt (``QTextDocument``), which the core does not need.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path

import numpy as np

from vlab import __version__
from vlab.practicals.errors import PracticalError
from vlab.practicals.progress import Progress

__all__ = ["export_report", "render_report", "svg_trace"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:860px;
margin:2em auto;padding:0 1em;color:#1d2430;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #d7dde6;padding-bottom:.2em;margin-top:1.6em}
.meta{color:#566074;font-size:.92em}.score{font-size:1.1em;font-weight:600;margin:.6em 0}
.pass{color:#1a7f37}.fail{color:#b42318}
.q{border:1px solid #d7dde6;border-radius:6px;padding:.6em .9em;margin:.8em 0;background:#fbfcfe}
.q .prompt p{margin:.2em 0}.q .ans{margin:.3em 0}.q .fb{font-size:.93em;color:#333c4d}
.badge{display:inline-block;border-radius:10px;padding:0 .6em;font-size:.85em;font-weight:600}
.mark{background:#fff4d6;color:#8a5a00}blockquote.free{margin:.4em 0;padding:.4em .8em;border-left:3px solid #d9b44a;background:#fffdf5;white-space:normal}
.ok{background:#dcf5e3;color:#1a7f37}.no{background:#fde4e1;color:#b42318}.todo{background:#eceff4;color:#566074}
table.prov{border-collapse:collapse;font-size:.85em;margin:.4em 0}table.prov td{border:1px solid #d7dde6;padding:.15em .5em}
.fig{margin:.5em 0}.plot{margin:.3em 0;line-height:100%}.caption{font-size:.85em;color:#566074;margin:.2em 0}
footer{margin-top:2em;font-size:.8em;color:#7a8599}
@media print{body{margin:0}.q{break-inside:avoid}}
"""


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=raw)
    start = np.ceil(lo / step) * step
    return [
        float(x) + 0.0 if abs(x) > step * 1e-9 else 0.0
        for x in np.arange(start, hi + step * 1e-9, step)
    ]


def svg_trace(
    y,
    duration: float,
    unit: str,
    scale: float,
    title: str = "",
    width: int = 640,
    height: int = 200,
    color: str = "#1f5fbf",
    highlight: int | None = None,
    robust: bool = False,
    exclude: list | None = None,
) -> str:
    """An inline SVG line plot of one trace or an overlay of several.

    Parameters
    ----------
    y
        Samples (SI) evenly spread over ``duration`` seconds, or a list of such traces.
    duration
        Length of the trace, s (the x axis is drawn in ms).
    unit, scale
        Display unit of the y axis and the factor from SI (``"mV"``, 1e3).
    highlight
        With several traces: the index drawn in ``color``; the others are grey.
    robust
        Scale the y axis to the 0.3-99.7 percentiles and clip what lies outside.
    exclude
        Per trace, a boolean array of samples left out of the y range (drawn, but
        clipped): the capacitive transients after the command steps of a voltage-clamp
        current, see :func:`transient_masks`. The range is then min..max of the rest.
    """
    traces = [np.asarray(v, dtype=float) * scale for v in (y if _is_list_of_traces(y) else [y])]
    traces = [v for v in traces if v.size >= 2]
    if not traces:
        return ""
    left, right, top, bottom = 56, 10, 20 if title else 8, 30
    w, h = width - left - right, height - top - bottom
    lo, hi = y_range(traces, robust, exclude)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = 0.06 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    t_ms = duration * 1e3
    lines = []
    order = list(range(len(traces)))
    if highlight is not None and 0 <= highlight < len(traces):
        order.remove(highlight)
        order.append(highlight)  # drawn last, on top
    for k in order:
        trace = np.clip(traces[k], lo, hi)
        xs = left + np.linspace(0, w, trace.size)
        ys = top + (hi - trace) / (hi - lo) * h
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
        main = highlight is None or k == highlight or len(traces) == 1
        stroke = color if main else "#a9b4c6"
        width_px = 1.4 if main else 0.9
        lines.append(
            f'<polyline fill="none" stroke="{stroke}" stroke-width="{width_px}" points="{pts}"/>'
        )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title or unit)}" '
        'style="background:#fff;border:1px solid #d7dde6;border-radius:4px">'
    ]
    if title:
        parts.append(
            f'<text x="{left}" y="14" font-size="12" fill="#333">{html.escape(title)}</text>'
        )
    for v in _nice_ticks(lo, hi, 4):
        yy = top + (hi - v) / (hi - lo) * h
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eef1f5"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end" fill="#566074">{v:g}</text>'
        )
    for v in _nice_ticks(0, t_ms, 6):
        xx = left + v / t_ms * w
        parts.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top + h}" y2="{top + h + 4}" stroke="#566074"/>'
        )
        parts.append(
            f'<text x="{xx:.1f}" y="{top + h + 15}" font-size="10" text-anchor="middle" fill="#566074">{v:g}</text>'
        )
    parts.append(
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#9aa5b8"/>'
    )
    parts += lines
    parts.append(
        f'<text x="{left + w}" y="{height - 3}" font-size="10" text-anchor="end" fill="#566074">time (ms)</text>'
    )
    parts.append(
        f'<text x="12" y="{top + h / 2:.1f}" font-size="10" fill="#566074" '
        f'transform="rotate(-90 12 {top + h / 2:.1f})" text-anchor="middle">{html.escape(unit)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


#: how long after a voltage-clamp command step the current is left out of a figure's y
#: range (s): the model's clamp charges the membrane within a sample or two, so 0.1 ms
#: drops the capacitive transient but keeps the earliest INa peak (0.2 ms or later)
TRANSIENT_WINDOW = 0.1e-3


def y_range(
    traces: list[np.ndarray], robust: bool = False, exclude: list | None = None
) -> tuple[float, float]:
    """The y range (display units, before padding) of ``traces``: min..max, or the
    0.3-99.7 percentiles if ``robust``; ``exclude`` (one boolean array per trace, True =
    leave out, e.g. :func:`transient_masks`) removes samples first, and then min..max of
    the rest is used (percentiles would clip a brief INa peak)."""
    kept = []
    for k, v in enumerate(traces):
        drop = exclude[k] if exclude is not None and k < len(exclude) else None
        if drop is not None and drop.shape == v.shape and (~drop).any():
            v = v[~drop]
        kept.append(v)
    allv = np.concatenate(kept)
    if robust and exclude is None:
        lo, hi = np.percentile(allv, [0.3, 99.7])
    else:
        lo, hi = allv.min(), allv.max()
    return float(lo), float(hi)


def transient_masks(
    shown: list, raw_n: int, steps: list[list[int]], dt: float, how: str = "minmax"
) -> list[np.ndarray]:
    """Per drawn trace, True where it shows the :data:`TRANSIENT_WINDOW` after a command
    step. ``shown`` are the drawn traces, made from ``raw_n`` samples every ``dt`` s either
    by min/max pairs (``"minmax"``, as the evidence stores them) or by taking every k-th
    sample (``"stride"``); ``steps`` are each trace's step indices (the last list is used
    for traces without their own)."""
    win = max(1, int(np.ceil(TRANSIENT_WINDOW / dt)))
    out = []
    for k, y in enumerate(shown):
        n = len(y)
        st = steps[k] if k < len(steps) else steps[-1] if steps else []
        raw = np.zeros(raw_n + 1, dtype=bool)
        for s0 in st:
            raw[max(0, s0) : min(raw_n, s0 + win)] = True
        if n == raw_n:
            out.append(raw[:n])
        elif how == "stride":
            stride = max(1, raw_n // max(n, 1))
            # a shown sample stands for the raw samples up to the next one
            out.append(np.array([raw[i * stride : (i + 1) * stride].any() for i in range(n)]))
        else:
            edges = np.linspace(0, raw_n, n // 2 + 1).astype(int)
            bins = np.array([raw[a:b].any() for a, b in zip(edges[:-1], edges[1:], strict=True)])
            out.append(np.repeat(bins, 2)[:n])
    return out


def _evidence_masks(ev: dict, traces: list, family: bool) -> list[np.ndarray] | None:
    """Transient masks for an evidence figure's current traces (voltage clamp only)."""
    from vlab.practicals.session import step_indices

    if ev.get("provenance", {}).get("mode") != "VC":
        return None
    rec = ev.get("record") or {}
    dt = float(rec.get("dt") or 0.0)
    fam = ev.get("family") or {}
    if family and fam.get("steps"):
        steps, raw_n = fam["steps"], int(fam.get("samples") or 0)
    else:  # older reports, and the single-sweep traces: the chosen sweep's command
        cmd = (rec.get("channels") or {}).get("command")
        if not cmd:
            return None
        steps, raw_n = [step_indices(cmd)], len(cmd)
    if not dt or not raw_n:
        return None
    return transient_masks(traces, raw_n, steps, dt)


def _is_list_of_traces(y) -> bool:
    return (
        isinstance(y, (list, tuple)) and len(y) > 0 and isinstance(y[0], (list, tuple, np.ndarray))
    )


def _md(text: str) -> str:
    import markdown

    return markdown.markdown(text or "", extensions=["extra"])


def _drug_text(name: str, entry: dict) -> str:
    if entry.get("hidden"):  # a mystery drug stays a mystery in the report
        return name
    c = float(entry.get("concentration_M", 0.0)) * 1e3  # SI (mol/m^3 = mM)
    try:
        from vlab.sim.drugs import get_drug

        return f"{name} {get_drug(name).format(c)}"
    except ValueError:
        return f"{name} {c:.4g} mM"


def _provenance_table(prov: dict) -> str:
    rows = [
        ("preparation", prov.get("preparation", "")),
        ("mode", prov.get("mode", "")),
        ("protocol", prov.get("protocol_name", "")),
    ]
    if "temperature_C" in prov:
        rows.append(("temperature", f"{float(prov['temperature_C']):.3g} °C"))
    conc = prov.get("concentrations", {})
    if conc:
        rows.append(
            ("solutions (mM)", ", ".join(f"{k} {float(v):.4g}" for k, v in sorted(conc.items())))
        )
    drugs = prov.get("drugs", {})
    rows.append(("drugs", ", ".join(_drug_text(n, d) for n, d in drugs.items()) or "none"))
    tag = prov.get("practical")
    if isinstance(tag, dict) and tag.get("step"):
        rows.append(("recorded in", f"{tag.get('name', '')}, step {tag['step']}"))
    rows.append(("vlab", prov.get("vlab_version", "")))
    if prov.get("created"):
        rows.append(("recorded", prov["created"]))
    return (
        '<table class="prov">'
        + "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows
        )
        + "</table>"
    )


def _figure(ev: dict, caption: str) -> str:
    out = []
    dur = float(ev.get("duration", 0.0)) or 1e-3
    fam = ev.get("family")
    mode = ev.get("provenance", {}).get("mode", "")
    if fam:
        chosen = int(fam.get("chosen", 0))
        n = len(fam.get("sweeps", []))
        for ch in fam.get("channels", []):
            traces = fam.get("traces", {}).get(ch, [])
            if not traces:
                continue
            unit, scale = ("mV", 1e3) if ch == "Vm" else ("nA", 1e9)
            label = "command " if (ch == "Vm" and mode == "VC") else ""
            title = f"{label}{ch} ({unit})" + (
                f", {n} sweeps, sweep {int(fam['sweeps'][chosen]) + 1} highlighted" if n > 1 else ""
            )
            out.append(
                svg_trace(
                    traces,
                    dur,
                    unit,
                    scale,
                    title=title,
                    highlight=chosen,
                    robust=(ch != "Vm"),
                    exclude=None if ch == "Vm" else _evidence_masks(ev, traces, True),
                )
            )
        if mode == "VC" and "Vm" in ev.get("traces", {}):
            out.append(
                svg_trace(
                    ev["traces"]["Vm"],
                    dur,
                    "mV",
                    1e3,
                    height=110,
                    title=f"command Vm (mV) of sweep {int(ev.get('sweep', 0)) + 1}",
                )
            )
    else:
        for ch in ["Im", "Vm"] if mode == "VC" else ["Vm"]:
            if ch in ev.get("traces", {}):
                unit, scale = ("mV", 1e3) if ch == "Vm" else ("nA", 1e9)
                out.append(
                    svg_trace(
                        ev["traces"][ch],
                        dur,
                        unit,
                        scale,
                        title=f"{ch} ({unit})",
                        robust=ch != "Vm",
                        exclude=None
                        if ch == "Vm"
                        else _evidence_masks(ev, [ev["traces"][ch]], False),
                    )
                )
    # plain blocks, not <figure>/<figcaption>: Qt's rich text (the in-app report view and
    # its PDF) knows neither and ran the plots into the line of the badge before them
    plots = "".join(f'<div class="plot">{svg}</div>' for svg in out)
    return f'<div class="fig">{plots}<p class="caption">{html.escape(caption)}</p></div>'


#: id of the ``<script type="application/json">`` element holding the progress
DATA_ID = "vlab-progress"


def embedded_progress(progress: Progress) -> str:
    """The progress as JSON safe inside a ``<script>`` element (``</`` escaped)."""
    return progress.to_json().replace("</", "<\\/")


def read_embedded_progress(text: str) -> dict:
    """The progress dict embedded in a report's HTML; PracticalError if there is none."""
    import re

    from vlab.safe_read import BadFileError, loads_json

    m = re.search(
        rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', text, flags=re.S
    )
    if not m:
        raise PracticalError("not a vlab practical report (no embedded progress)")
    try:
        d = loads_json(m.group(1), "the report's embedded progress", max_values=10**7)
    except BadFileError as exc:
        raise PracticalError(f"the report's embedded progress is damaged ({exc})") from exc
    if not isinstance(d, dict):
        raise PracticalError("the report's embedded progress is damaged")
    return d


def _attempt_log(session, qid: str) -> str:
    log = session.progress.attempts.get(qid) or []
    if not log:
        return ""
    e = html.escape
    items = []
    for a in log:
        what = a.get("value", f"sweep {int(a.get('sweep', 0)) + 1}")
        items.append(
            f"{e(str(what))} ({'✓' if a.get('correct') else '✗'}, {e(str(a.get('time', '')))})"
        )
    limit = session.max_attempts(qid)
    of = f" of {limit}" if limit else ""
    return f'<div class="meta">Attempts ({len(log)}{of}): ' + "; ".join(items) + "</div>"


def _text_block(session, q) -> str:
    """A free-text question: the prompt, the student's words (line breaks kept) and a
    badge saying the instructor marks it."""
    e = html.escape
    text = str(session.progress.answers.get(q.id, "")).strip()
    n = len(session.progress.attempts.get(q.id) or [])
    badge = (
        '<span class="badge mark">to mark by instructor</span>'
        if text
        else '<span class="badge todo">not answered</span>'
    )
    saved = f' <span class="meta">({n} version(s) saved; the last counts)</span>' if n else ""
    words = (
        f'<blockquote class="free">{e(text).replace(chr(10), "<br>")}</blockquote>' if text else ""
    )
    return (
        f'<div class="q"><div class="prompt">{_md(session.render(q.prompt))}</div>'
        f'<div class="ans">Written answer: {badge}{saved}</div>{words}</div>'
    )


def render_report(progress: Progress, practical=None, sweeps=None, session=None) -> str:
    """The report as an HTML string (see :func:`export_report`).

    ``session`` (the student's :class:`~vlab.practicals.PracticalSession`) supplies the
    class and the unknowns; without it the report is rendered as practice work.
    """
    from vlab.practicals.checks import describe_condition
    from vlab.practicals.loader import load_practical
    from vlab.practicals.session import PracticalSession

    if session is None:
        if practical is None:
            practical = load_practical(progress.practical)
        session = PracticalSession(
            practical, progress.student_id, progress=progress, autosave=False
        )
    practical = session.practical
    progress = session.progress
    got, total = session.score
    status = (
        '<span class="pass">complete: every question answered correctly</span>'
        if session.passed
        else f'<span class="fail">{total - got} question(s) still open</span>'
    )
    n_text = len(session.to_mark)
    if n_text:
        written = sum(session.is_answered(qid) for qid in session.to_mark)
        status += (
            f" · {written} of {n_text} written answer(s) to mark by the instructor"
            " (not in the score)"
        )
    e = html.escape
    body = [
        f"<h1>{e(practical.title)}</h1>",
        f'<div class="meta">Student <b>{e(progress.student_id)}</b> · practical <code>{e(practical.name)}</code> · '
        f"started {e(progress.started)} · last change {e(progress.updated)}</div>",
        f'<div class="score">Score: {got} / {total} — {status}</div>',
        f'<div class="meta">{e(session.mode_text())}</div>',
        f"<p>{e(practical.summary)}</p>",
    ]
    for i, step in enumerate(practical.steps, 1):
        mark = "✓ " if session.step_complete(i - 1) else ""
        body.append(f"<h2>{mark}Step {i}. {e(step.title)}</h2>")
        if not step.questions:
            body.append("<p class='meta'>(no questions in this step)</p>")
        for q in step.questions:
            res = progress.results.get(q.id)
            if q.kind == "text":
                body.append(_text_block(session, q))
                continue
            if res is None:
                badge = '<span class="badge todo">not answered</span>'
            elif res.get("correct"):
                badge = '<span class="badge ok">correct</span>'
            else:
                badge = '<span class="badge no">not yet correct</span>'
            block = [f'<div class="q"><div class="prompt">{_md(session.render(q.prompt))}</div>']
            if q.kind == "recording":
                ev = progress.evidence.get(q.id)
                block.append(f'<div class="ans">{badge}</div>')
                if ev:
                    checks = "; ".join(
                        f"{describe_condition(c[0])} (measured {c[2]})"
                        for c in ev.get("checks", [])
                    )
                    tag = ev.get("provenance", {}).get("practical") or {}
                    where = (
                        f"recorded in step {i} ({step.title})"
                        if isinstance(tag, dict) and tag.get("step") == step.id
                        else "NOT recorded in this step"
                    )
                    block.append(
                        _figure(ev, f"Sweep {int(ev.get('sweep', 0)) + 1}, {where}: {checks}")
                    )
                    block.append(_provenance_table(ev.get("provenance", {})))
            else:
                ans = progress.answers.get(q.id)
                shown = q.choice_label(ans) if (q.kind == "choice" and ans) else ans
                unit = f" {q.unit}" if q.kind == "numeric" and q.unit not in ("", "1") else ""
                block.append(
                    f'<div class="ans">Answer: <b>{e(shown or "—")}{e(unit) if shown else ""}</b> {badge}'
                    f' <span class="meta">({int(res.get("attempts", 0)) if res else 0} attempt(s))</span></div>'
                )
            block.append(_attempt_log(session, q.id))
            if res and res.get("feedback"):
                block.append(f'<div class="fb">{e(res["feedback"])}</div>')
            block.append("</div>")
            body.append("".join(block))
    if sweeps:
        sweeps = list(sweeps)
        last = sweeps[-1]
        run = last.provenance.get("run_id")
        group = [x for x in sweeps if run is not None and x.provenance.get("run_id") == run] or [
            last
        ]
        ch = last.mode.recorded if last.mode is not None else "Vm"
        ys = [
            np.asarray(x.channels[ch])[:: max(1, len(x.channels[ch]) // 400)]
            for x in group
            if ch in x.channels
        ]
        if ys:
            unit, scale = ("mV", 1e3) if ch == "Vm" else ("nA", 1e9)
            dur = last.dt * len(last.channels[ch])
            skip = None
            if last.mode is not None and last.mode.value == "VC":
                from vlab.practicals.session import command_steps

                skip = transient_masks(
                    ys, len(last.channels[ch]), [command_steps(x) for x in group], last.dt, "stride"
                )
            body.append("<h2>Latest recording</h2>")
            body.append(
                svg_trace(
                    ys,
                    dur,
                    unit,
                    scale,
                    robust=ch != "Vm",
                    exclude=skip,
                    title=f"{ch} ({unit}), {len(ys)} sweep(s), "
                    f"{last.provenance.get('protocol_name', '')}",
                )
            )
            body.append(_provenance_table(last.provenance))
    if practical.sources:
        body.append(
            "<h2>Sources</h2><ul>"
            + "".join(f"<li>{e(s)}</li>" for s in practical.sources)
            + "</ul>"
        )
    now = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    body.append(
        f"<footer>Report written by vlab {e(__version__)} on {e(now)}. Answers are checked against "
        "values computed by vlab's simulation for this student's own unknowns. The instructor "
        "re-checks every answer and recording of this file with "
        "<code>vlab practical grade --class CLASS.instructor.toml FOLDER</code>.</footer>"
    )
    data = f'<script type="application/json" id="{DATA_ID}">{embedded_progress(progress)}</script>'
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(practical.title)} — {e(progress.student_id)}</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + f"\n{data}\n</body></html>\n"
    )


def export_report(
    progress: Progress, path: str | os.PathLike, practical=None, sweeps=None, session=None
) -> Path:
    """Write the HTML report to ``path`` atomically and return the path.

    Parameters
    ----------
    progress
        The student's progress (answers, feedback, evidence).
    path
        Target ``.html`` file.
    practical
        The loaded practical (default: loaded by ``progress.practical``).
    sweeps
        Optional recorded sweeps; the last three are drawn under "Latest recording".
    session
        The student's session (class, unknowns); see :func:`render_report`.
    """
    from vlab.practicals.fileio import write_text_atomic

    text = render_report(progress, practical, sweeps, session)
    try:
        return write_text_atomic(path, text, shared=True)  # a report is for sharing
    except PracticalError as exc:
        raise PracticalError(f"cannot write the report: {exc}") from exc
