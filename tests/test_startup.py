"""Start-up: the install-time kernel cache reaches each user's cache (vlab.sim.jit._seed),
and the command line does not import what `vlab run` does not need."""

from __future__ import annotations

import subprocess
import sys

from vlab.sim import jit


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_new_user_gets_the_install_time_cache_of_these_sources(tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    (seed / "d1" / "vlab_sim").mkdir(parents=True)
    (seed / "d1" / "vlab_sim" / "kernel.step-77.py311.nbi").write_bytes(b"index")
    (seed / "d1" / "vlab_sim" / "kernel.step-77.py311.1.nbc").write_bytes(b"code")
    (seed / "d0").mkdir()  # the kernels of other (older) sources: never looked up
    (seed / "d0" / "kernel.step-70.py311.nbi").write_bytes(b"stale")
    monkeypatch.setattr(jit, "SEED_CACHE", str(seed))
    monkeypatch.delenv("VLAB_NO_SEED_CACHE", raising=False)
    user = tmp_path / "user"
    user.mkdir()
    jit._seed(str(user), "d1")
    assert _tree(user) == [p for p in _tree(seed) if p.startswith("d1/")] and _tree(user)


def test_the_users_own_cache_files_are_kept(tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    (seed / "d1").mkdir(parents=True)
    (seed / "d1" / "a.py310.nbi").write_bytes(b"seed 3.10")
    (seed / "d1" / "a.py311.nbi").write_bytes(b"seed 3.11")
    monkeypatch.setattr(jit, "SEED_CACHE", str(seed))
    monkeypatch.delenv("VLAB_NO_SEED_CACHE", raising=False)
    user = tmp_path / "user"
    (user / "d1").mkdir(parents=True)
    (user / "d1" / "a.py311.nbi").write_bytes(b"the user's own, newer")
    jit._seed(str(user), "d1")
    assert (user / "d1" / "a.py311.nbi").read_bytes() == b"the user's own, newer"
    assert (user / "d1" / "a.py310.nbi").read_bytes() == b"seed 3.10"  # another Python


def test_no_seed_when_asked_not_to(tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    (seed / "d1").mkdir(parents=True)
    (seed / "d1" / "x.nbi").write_bytes(b"x")
    monkeypatch.setattr(jit, "SEED_CACHE", str(seed))
    monkeypatch.setenv("VLAB_NO_SEED_CACHE", "1")
    user = tmp_path / "user"
    user.mkdir()
    jit._seed(str(user), "d1")
    assert _tree(user) == []


def test_vlab_run_does_not_import_the_practicals_or_the_gui():
    code = (
        "import sys; from vlab import cli; p = cli._parser(practicals=False); "
        "p.parse_args(['run', 'single_pulse']); "
        "print(sorted(m for m in sys.modules if m.startswith(('vlab.practicals', 'PySide6', "
        "'pyqtgraph', 'numba', 'numpy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_practical_command_still_has_its_sub_commands(capsys):
    from vlab import cli

    assert cli.main(["practical", "--help"]) == 0
    assert "list" in capsys.readouterr().out


def test_an_unwritable_home_still_gets_a_seeded_cache(tmp_path, monkeypatch):
    """Issue 11: with an unwritable home every start compiled the kernels (3.8x slower)."""
    seed = tmp_path / "seed"
    (seed / jit.sources_digest()).mkdir(parents=True)
    (seed / jit.sources_digest() / "kernel.nbi").write_bytes(b"index")
    monkeypatch.setattr(jit, "SEED_CACHE", str(seed))
    monkeypatch.delenv("VLAB_NO_SEED_CACHE", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    home = tmp_path / "home-is-a-file"
    home.write_text("")  # nothing can be created below it (ENOTDIR, even for root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = jit._cache_dir()
    assert path is not None and path.startswith(str(tmp_path / "tmp"))
    assert (jit.Path(path) / "kernel.nbi").read_bytes() == b"index"
