"""Classes and graded mode: keys students cannot print, limited attempts, no bisecting,
readouts hidden, recordings tied to their step."""

from __future__ import annotations

import pytest

from vlab.practicals import (
    PracticalError,
    PracticalSession,
    builtin_practicals,
    load_practical,
    simulate_sweeps,
)
from vlab.practicals.classes import create_class, load_class, write_class_files
from vlab.practicals.session import answer_key, format_answer

SECRET = bytes(range(32))


@pytest.fixture
def klass():
    return create_class("bio201", ["s001", "s002", "S003"], secret=SECRET)


# ---------------------------------------------------------------------------- classes
def test_pack_holds_seeds_but_no_secret(tmp_path, klass):
    inst, pack_path = write_class_files(klass, tmp_path)
    text = pack_path.read_text(encoding="utf-8")
    assert SECRET.hex() not in text and "secret" not in text.split("\n", 1)[1]
    assert "s001" not in text  # the pack files seeds under hashes of the IDs
    pack = load_class(pack_path)
    again = load_class(inst)
    assert not pack.has_secret and again.has_secret and again.matches(pack)
    for sid in ("s001", " S002 ", "s003"):
        assert pack.seed_for(sid) == again.seed_for(sid) == klass.seed_for(sid)
    with pytest.raises(PracticalError, match="not on the roster"):
        pack.seed_for("s999")
    with pytest.raises(PracticalError, match="exists"):
        write_class_files(klass, tmp_path)  # the secret is never overwritten


def test_class_keys_differ_from_the_public_practice_keys(klass):
    p = load_practical("nernst")
    seed = klass.seed_for("s001")
    ours = answer_key(p, "s001", seed)
    session = PracticalSession(p, "s001", klass=klass.pack(), autosave=False)
    assert ours == {qid: session.key(qid) for qid in ours}
    practice = answer_key(p, "s001")
    other_class = create_class("bio202", ["s001"], secret=b"x" * 32)
    theirs = answer_key(p, "s001", other_class.seed_for("s001"))
    assert ours["ek_new"] != practice["ek_new"] and ours["ek_new"] != theirs["ek_new"]


def test_answers_cli_needs_the_instructor_file(tmp_path, capsys, klass):
    from vlab.cli import main

    inst, pack = write_class_files(klass, tmp_path)
    assert main(["practical", "answers", "nernst", "--student", "s001"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "class secret" in err and "--class" in err
    assert main(["practical", "answers", "nernst", "--class", str(pack), "--student", "s1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "instructor" in err and "no secret" in err
    assert main(["practical", "answers", "nernst", "--class", str(inst), "--student", "s001"]) == 0
    out = capsys.readouterr().out
    key = answer_key(load_practical("nernst"), "s001", klass.seed_for("s001"))
    assert format_answer(load_practical("nernst").question("ek_new")[1], key["ek_new"]) in out


def test_class_cli_writes_both_files(tmp_path, capsys):
    from vlab.cli import main

    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\nA1,Ann\nB2,Ben\n", encoding="utf-8")
    assert main(["practical", "class", "c9", "--roster", str(roster), "--out", str(tmp_path)]) == 0
    inst = load_class(tmp_path / "c9.instructor.toml")
    assert inst.roster == ("A1", "B2") and inst.graded and inst.attempts == 3
    assert main(["practical", "class", "c9", "--students", "x", "--out", str(tmp_path)]) == 2
    assert "exists" in capsys.readouterr().err


# ---------------------------------------------------------------------------- graded mode
def _graded(name="nernst", sid="s001", klass=None):
    klass = klass or create_class("g", [sid], secret=SECRET)
    return PracticalSession(load_practical(name), sid, klass=klass.pack(), autosave=False)


def test_graded_mode_limits_attempts_and_gives_no_direction():
    s = _graded()
    _, q = s.practical.question("ek_default")
    key_mv = s.key("ek_default") * 1e3
    assert s.graded and s.max_attempts("ek_default") == 3 and "Graded" in s.mode_text()
    fb = s.submit("ek_default", f"{key_mv + 30:.2f}")
    assert not fb.correct and "high" not in fb.message and "low" not in fb.message
    assert "Hint" not in fb.message and "2 attempt(s) left" in fb.message
    fb = s.submit("ek_default", f"{-key_mv:.2f}")  # the sign warning may stay
    assert not fb.correct and "sign" in fb.message
    assert not s.submit("ek_default", "12").correct
    fb = s.submit("ek_default", f"{key_mv:.2f}")  # right, but too late
    assert not fb.correct and "No attempts left" in fb.message
    log = s.progress.attempts["ek_default"]
    assert [a["value"] for a in log] == [f"{key_mv + 30:.2f}", f"{-key_mv:.2f}", "12"]
    assert all(a["time"] and a["correct"] is False for a in log)
    # multiple choice: one attempt
    choice = next(q for _, q in s.practical.questions() if q.kind == "choice")
    wrong = next(k for k, _ in choice.choices if k != s.key(choice.id))
    assert not s.submit(choice.id, wrong).correct
    assert "No attempts left" in s.submit(choice.id, s.key(choice.id)).message


def test_graded_correct_answers_are_final_and_practice_keeps_hints():
    s = _graded()
    key_mv = s.key("ek_default") * 1e3
    assert s.submit("ek_default", f"{key_mv:.2f}").correct
    assert "final" in s.submit("ek_default", "0").message and s.is_correct("ek_default")
    with pytest.raises(PracticalError, match="cannot be reset"):
        s.reset()
    practice = PracticalSession(load_practical("nernst"), "p1", autosave=False)
    assert practice.max_attempts("ek_default") is None
    fb = practice.submit("ek_default", f"{practice.key('ek_default') * 1e3 + 30:.2f}")
    assert "too high" in fb.message


def test_graded_steps_hide_the_readouts_that_give_answers_away():
    s = _graded("nernst")
    nernst_step = next(i for i, st in enumerate(s.practical.steps) if st.questions)
    assert "reversals" in s.lock(nernst_step).hidden
    assert "reversal potentials are hidden" in s.lock(nernst_step).describe()
    ghk = _graded("ghk_rest")
    steps = [i for i, st in enumerate(ghk.practical.steps) if "ghk" in ghk.hidden_readouts(i)]
    assert steps, "the GHK calculation step hides the GHK estimate"
    practice = PracticalSession(load_practical("nernst"), "p1", autosave=False)
    assert not practice.lock(nernst_step).hidden


def _bisect(session, q) -> None:
    """Find a numeric key from feedback alone: never runs the rig."""
    lo, hi = -2000.0, 2000.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        fb = session.submit(q.id, f"{mid:.6g}")
        if fb.correct or "No attempts left" in fb.message:
            return
        if "the sign is not" in fb.message:  # the size is right: flip it
            lo = hi = -mid
        elif (
            "the scale does not" in fb.message
        ):  # digits right, scale wrong: a large guess, shrink it
            lo, hi = (lo, mid) if mid > 0 else (mid, hi)
        elif "too high" in fb.message:
            hi = mid
        elif "too low" in fb.message:
            lo = mid
        else:  # no direction given: guess around
            lo, hi = lo + (hi - lo) * 0.37, hi


def _brute_force(session) -> None:
    for _, q in session.practical.questions():
        if q.kind == "numeric":
            _bisect(session, q)
        elif q.kind == "choice":
            for key, _ in q.choices:
                if session.submit(q.id, key).correct:
                    break


@pytest.mark.parametrize("name", sorted(builtin_practicals()))
def test_a_bisecting_script_fails_graded_mode(name):
    """Feedback alone gets a script through practice mode's typed questions, never through
    graded mode (and recording questions need the rig in both)."""
    klass = create_class("bisect", ["robot"], secret=SECRET)
    graded = PracticalSession(load_practical(name), "robot", klass=klass.pack(), autosave=False)
    _brute_force(graded)
    numeric = [q for _, q in graded.practical.questions() if q.kind == "numeric"]
    assert numeric and not any(graded.is_correct(q.id) for q in numeric)
    assert not graded.passed
    practice = PracticalSession(load_practical(name), "robot", autosave=False)
    _brute_force(practice)
    assert all(practice.is_correct(q.id) for q in numeric)  # the control: bisecting works there


# ---------------------------------------------------------------------------- recordings
def test_recording_questions_take_only_sweeps_of_their_own_step():
    s = PracticalSession(load_practical("threshold"), "s1", autosave=False)
    other = PracticalSession(load_practical("threshold"), "s2", autosave=False)
    untagged = simulate_sweeps(s.preset(0))
    fb = s.check_recording("fire", untagged)
    assert not fb.correct and "recorded in this step" in fb.message
    fb = s.check_recording("fire", simulate_sweeps(s.preset(0), tag=other.recording_tag(0)))
    assert not fb.correct  # another student's sweeps
    fb = s.check_recording("fire", simulate_sweeps(s.preset(0), tag=s.recording_tag(1)))
    assert not fb.correct  # the right student, the wrong step
    fb = s.check_recording("fire", simulate_sweeps(s.preset(0), tag=s.recording_tag(0)))
    assert fb.correct and s.progress.attempts["fire"][-1]["correct"]
