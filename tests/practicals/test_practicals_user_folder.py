"""An instructor's own practicals: a folder in the user data, no resources tree to copy."""

from __future__ import annotations

from practical_toml import NUMERIC_QUESTION, practical_toml

from vlab.practicals import (
    PracticalSession,
    available_practicals,
    load_practical,
    practical_problems,
    user_practicals_dir,
)

MINE = practical_toml(
    "my_leak",
    title="My leak practical",
    preset={"mode": "VC", "protocol": "my_steps"},
    questions=[{**NUMERIC_QUESTION, "id": "e", "prompt": "E_K?"}],
)

STEPS = """
name = "My steps"
mode = "voltage-clamp"
holding = "-65 mV"
sweeps = 2
sweep_duration = "10 ms"
sample_interval = "50 us"
[[epochs]]
type = "step"
duration = "10 ms"
level = "-80 mV"
level_increment = "10 mV"
"""


def test_a_practical_in_the_user_folder_is_listed_loaded_and_run(_data_dir, capsys):
    from vlab.cli import main

    folder = user_practicals_dir()
    assert str(folder).startswith(str(_data_dir))
    (folder / "protocols").mkdir(parents=True)
    (folder / "my_leak.toml").write_text(MINE, encoding="utf-8")
    (folder / "protocols" / "my_steps.toml").write_text(STEPS, encoding="utf-8")
    (folder / "broken.toml").write_text(
        MINE.replace("my_leak", "broken").replace('kind = "numeric"', 'kind = "essay"')
    )
    (folder / "nernst.toml").write_text(MINE.replace("my_leak", "nernst"))  # name taken
    assert "my_leak" in available_practicals()
    s = PracticalSession(load_practical("my_leak"), "x", autosave=False)
    assert s.submit("e", f"{s.key('e') * 1e3:.2f}").correct
    problems = practical_problems()
    assert "kind" in problems["broken"] and "rename" in problems["nernst (yours)"]
    assert load_practical("nernst").title != "My leak practical"  # the built-in wins
    assert main(["practical", "list"]) == 0
    out = capsys.readouterr().out
    assert "my_leak" in out and "[yours]" in out and "cannot be used: broken" in out


def test_list_warns_of_a_step_whose_cell_fires_on_its_own(_data_dir, capsys):
    from vlab.cli import main
    from vlab.practicals.loader import unstable_steps

    folder = user_practicals_dir()
    folder.mkdir(parents=True)
    text = MINE.replace("my_leak", "restless").replace(
        'protocol = "my_steps"', 'protocol = "single_pulse"\ndrugs = { "4-AP" = "default" }'
    )
    (folder / "restless.toml").write_text(text.replace('mode = "VC"', 'mode = "CC"'))
    assert unstable_steps(load_practical("restless")) == ["a"]
    assert all(not unstable_steps(load_practical(n)) for n in ("nernst", "threshold"))
    assert main(["practical", "list"]) == 0
    out = capsys.readouterr().out
    assert "warning: in step 'a' the cell has no stable rest" in out
    assert out.count("warning:") == 1  # no built-in practical has such a step


def test_the_panel_shows_files_it_cannot_load(_data_dir, qtbot):
    from vlab.gui.panels.practical import PracticalPanel
    from vlab.rig import Rig

    folder = user_practicals_dir()
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text("name = 'broken'\n", encoding="utf-8")
    panel = PracticalPanel(Rig(), data_root=_data_dir)
    qtbot.addWidget(panel)
    panel.list_practicals()  # the window does it when the Practical tab is first selected
    assert not panel.problems_label.isHidden()
    assert (
        "broken" in panel.problems_label.text()
        and "could not be loaded" in panel.problems_label.text()
    )
