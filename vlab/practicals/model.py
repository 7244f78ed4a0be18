"""Practicals as data: frozen dataclasses for a practical, its steps and its questions.

A :class:`Practical` is a sequence of :class:`Step` objects. Each step carries Markdown
text, a rig :class:`Preset` (what the rig must look like while the student works on the
step) and :class:`Question` objects. Questions are checked by
:class:`vlab.practicals.session.PracticalSession`; their correct answers are never
stored in the file but computed by named *answer functions*
(:mod:`vlab.practicals.answers`) from the simulation itself.

Values inside presets are strings with units (``"20 mM"``), as in every vlab data file;
they may name a per-student unknown in braces (``"{K_out}"``, see
:mod:`vlab.practicals.unknowns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vlab.clamp import ClampMode

__all__ = [
    "QUESTION_KINDS",
    "LOCKABLE_CONTROLS",
    "HIDEABLE_READOUTS",
    "TEXT_MAX_CHARS",
    "Unknown",
    "Preset",
    "Question",
    "Step",
    "Practical",
]

#: the question kinds a practical may use; ``text`` ("explain why...") is collected for
#: the instructor to mark and never graded automatically
QUESTION_KINDS = ("numeric", "choice", "recording", "text")
#: longest free-text answer accepted, characters
TEXT_MAX_CHARS = 5000
#: amplifier modes a preset may ask for (``vlab.rig.ClampMode`` values)
#: names a preset may list under ``locked`` (the GUI disables these controls)
LOCKABLE_CONTROLS = (
    "preparation",
    "mode",
    "holding",
    "protocol",
    "solutions",
    "temperature",
    "conductances",
    "drugs",
    "drug_names",
    "filter",
)
#: rig read-outs a step may hide (``hide``); graded mode hides those a question asks for:
#: ``reversals`` (E lines on the scope, Nernst potentials in Solutions, the membrane
#: view's E markers) and ``ghk`` (the GHK estimate in Solutions)
HIDEABLE_READOUTS = ("reversals", "ghk")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A per-student randomised value (see :mod:`vlab.practicals.unknowns`).

    Attributes
    ----------
    name
        Identifier used in braces inside presets and answer arguments.
    kind
        ``"range"`` (a number between ``low`` and ``high`` on a grid of ``step``) or
        ``"choice"`` (one of ``options``).
    low, high, step
        For ``range``: SI values of the dimension ``dimension``.
    unit
        Display unit used when the value is written into a preset string (``"mM"``).
    dimension
        A :mod:`vlab.units` dimension, or ``"number"``.
    options
        For ``choice``: the possible values (strings, e.g. drug names).
    spacing
        For ``range``: ``"linear"`` (uniform between ``low`` and ``high``, on the grid of
        ``step`` if it is > 0) or ``"log"`` (uniform in log(value): equal ratios, so a
        relative tolerance separates students as well at ``high`` as at ``low``; values
        rounded to 3 significant digits).
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float = 0.0
    unit: str = ""
    dimension: str = "number"
    options: tuple[str, ...] = ()
    spacing: str = "linear"


@dataclass(frozen=True, slots=True)
class Preset:
    """What the rig looks like when a step opens.

    Attributes
    ----------
    preparation
        Preparation name (``squid``, ``mammalian``).
    mode
        Amplifier mode (written ``"VC"``, ``"CC"`` or ``"I=0"``).
    protocol
        Protocol name: a practical protocol in ``resources/practicals/protocols`` or a
        built-in one; empty for none (gap-free).
    holding
        Holding value with unit for ``mode`` (``"-65 mV"`` in VC, ``"0 nA"`` in CC), or
        empty to leave the amplifier's value.
    parameters
        ``(name, value)`` pairs for :meth:`vlab.sim.cell.Cell.set`, values with units.
    drugs
        ``(name, concentration)`` pairs, concentrations with units. Every other drug is
        washed out.
    locked
        Controls the student may not change during the step (:data:`LOCKABLE_CONTROLS`).
    filter
        The amplifier's low-pass filter for the step (``"off"``, ``"10 kHz"``, ``"5 kHz"``,
        ``"2 kHz"``, ``"1 kHz"``), or empty to leave it; lock it with ``"filter"`` when a
        question measures something a filter would distort (a spike's peak).
    """

    preparation: str = "squid"
    mode: ClampMode = ClampMode.CC
    protocol: str = ""
    holding: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    drugs: tuple[tuple[str, str], ...] = ()
    locked: tuple[str, ...] = ()
    filter: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One question of a step.

    Attributes
    ----------
    id
        Identifier, unique within the practical.
    kind
        ``"numeric"``, ``"choice"``, ``"recording"`` or ``"text"`` (a free-text answer
        the instructor marks; see :attr:`auto_graded`).
    prompt
        Markdown shown to the student.
    answer
        Answer-function call ``"name:arg1,arg2"`` computing the correct value (numeric:
        an SI float; choice: one of the choice keys).
    unit
        Numeric: display unit the student answers in (``"mV"``).
    tolerance
        Numeric: accepted absolute error in SI units (``nan`` if relative is used).
    rel_tolerance
        Numeric: accepted relative error (0.05 = 5 %), or ``nan``.
    choices
        Choice: ``(key, label)`` pairs in display order.
    correct
        Choice: the fixed correct key, for questions about concepts that no
        simulation can decide (empty when ``answer`` computes it).
    require
        Recording: conditions a single recorded sweep must meet (see
        :mod:`vlab.practicals.checks`).
    hint
        Shown after a wrong answer (practice mode only).
    explanation
        Shown after a correct answer.
    attempts
        Graded mode: attempts allowed for this question (0: the class's or practical's).
    """

    id: str
    kind: str
    prompt: str
    answer: str = ""
    unit: str = ""
    tolerance: float = float("nan")
    rel_tolerance: float = float("nan")
    choices: tuple[tuple[str, str], ...] = ()
    correct: str = ""
    require: tuple[str, ...] = ()
    hint: str = ""
    explanation: str = ""
    attempts: int = 0

    @property
    def auto_graded(self) -> bool:
        """False for free-text questions, which only the instructor marks."""
        return self.kind != "text"

    def choice_label(self, key: str) -> str:
        """Label of choice ``key`` (the key itself if unknown)."""
        return dict(self.choices).get(key, key)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a practical: text, rig preset and questions.

    ``preset`` is the step's effective preset: a step whose file section has no preset
    inherits the previous step's. ``hide`` names read-outs (:data:`HIDEABLE_READOUTS`)
    hidden while the step is open, in every mode.
    """

    id: str
    title: str
    text: str
    preset: Preset
    questions: tuple[Question, ...] = ()
    hide: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Practical:
    """A whole practical, as loaded from ``resources/practicals/<name>.toml``.

    ``graded`` makes the practical graded even outside a class; ``attempts`` (0: the
    default of 3) is its attempts per typed question in graded mode.
    """

    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    unknowns: tuple[Unknown, ...] = ()
    concepts: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    minutes: int = 30
    order: int = 100
    graded: bool = False
    attempts: int = 0
    source: str = field(default="<practical>", compare=False)

    def questions(self) -> list[tuple[Step, Question]]:
        """Every ``(step, question)`` pair in order."""
        return [(s, q) for s in self.steps for q in s.questions]

    def question(self, qid: str) -> tuple[Step, Question]:
        """The step and question with id ``qid`` (KeyError if none)."""
        for s, q in self.questions():
            if q.id == qid:
                return s, q
        raise KeyError(qid)

    def step_index(self, step_id: str) -> int:
        for i, s in enumerate(self.steps):
            if s.id == step_id:
                return i
        raise KeyError(step_id)

    def unknown(self, name: str) -> Unknown:
        for u in self.unknowns:
            if u.name == name:
                return u
        raise KeyError(name)
