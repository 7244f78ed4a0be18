"""vlab.practicals: guided lab practicals with auto-checked answers (Qt-free).

A practical is a data file (``resources/practicals/<name>.toml``, format in
``docs/practicals.md``): steps with Markdown text, a rig preset per step, and questions.
Correct answers are computed by named answer functions from the simulation itself
(:mod:`vlab.practicals.answers`); per-student unknowns come from a stable hash of the
student ID (:mod:`vlab.practicals.unknowns`).

>>> from vlab.practicals import load_practical, PracticalSession
>>> s = PracticalSession(load_practical("nernst"), "student-42", autosave=False)
>>> s.submit("ek_default", "-89").correct
True
"""

from vlab.practicals.errors import PracticalError
from vlab.practicals.loader import (
    available_practicals,
    builtin_practicals,
    load_practical,
    parse_practical,
    practical_problems,
    user_practicals_dir,
    validate_deep,
)
from vlab.practicals.model import Practical, Preset, Question, Step, Unknown
from vlab.practicals.progress import Progress, load_progress, progress_path, save_progress
from vlab.practicals.report import export_report, render_report
from vlab.practicals.rigsetup import (
    ControlLock,
    apply_preset,
    build_cell,
    resolved,
    simulate_sweeps,
)
from vlab.practicals.session import Feedback, PracticalSession, answer_key, format_answer
from vlab.practicals.unknowns import draw_unknowns

__all__ = [
    "ControlLock",
    "Feedback",
    "Practical",
    "PracticalError",
    "PracticalSession",
    "Preset",
    "Progress",
    "Question",
    "Step",
    "Unknown",
    "answer_key",
    "apply_preset",
    "build_cell",
    "available_practicals",
    "builtin_practicals",
    "practical_problems",
    "user_practicals_dir",
    "draw_unknowns",
    "export_report",
    "format_answer",
    "load_practical",
    "load_progress",
    "parse_practical",
    "progress_path",
    "render_report",
    "resolved",
    "save_progress",
    "simulate_sweeps",
    "validate_deep",
]
