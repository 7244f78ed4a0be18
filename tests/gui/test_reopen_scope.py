"""Reopening a ``.vlab`` shows its newest run on the scope, as if just recorded (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.recording import Recording, Sweep, save_session

pytestmark = pytest.mark.gui


def _run(run_id: str, n_sweeps: int, level0: float) -> list[Sweep]:
    t = np.arange(500) * 1e-4
    out = []
    for k in range(n_sweeps):
        cmd = np.where((t > 0.01) & (t < 0.04), level0 + 0.01 * k, -0.065)
        out.append(
            Sweep(
                index=k,
                dt=1e-4,
                channels={"Vm": cmd.copy(), "Im": 1e-9 * (k + 1) * np.sin(t * 100), "command": cmd},
                provenance={"mode": "VC", "run_id": run_id, "protocol_name": "steps"},
            )
        )
    return out


def test_reopened_experiment_shows_the_last_run_on_the_scope(
    qtbot, tmp_path, window, rig, open_experiment
):
    first, last = _run("run-1", 3, -0.1), _run("run-2", 2, 0.0)
    path = tmp_path / "exp.vlab"
    save_session(path, rig.state_dict(), Recording(first + last))
    assert window.scope.display == "gap-free" and not window.scope.sweeps

    assert open_experiment(window, path)
    scope = window.scope

    def painted() -> bool:  # the reopened sweeps reached their curves (a redraw happened;
        x, _ = scope.sweeps[-1].im_item.getData() if scope.sweeps else (None, None)
        return x is not None and len(x) == 500  # possibly already while the file opened)

    qtbot.waitUntil(painted, timeout=10000)  # streamed blocks must not have replaced them
    assert scope.display == "episodic"
    assert [sw.index for sw in scope.sweeps] == [0, 1]
    for shown, sweep in zip(scope.sweeps, last, strict=True):
        t, vm, im = shown.arrays()
        np.testing.assert_array_equal(t, sweep.time())
        np.testing.assert_array_equal(vm, sweep["Vm"])
        np.testing.assert_array_equal(im, sweep["Im"])
        x, y = shown.im_item.getData()
        assert shown.im_item.isVisible() and len(x) == 500
        np.testing.assert_array_equal(y, sweep["Im"])
    assert scope.measurements()  # the cursors measure the reopened sweeps
