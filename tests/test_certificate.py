"""The status rule: a certificate is checked before it is shown (mmo_pyomo/mix/certificate.py), and the cheap
second view of every quadratic solve (its plan re-optimized within its own regions)."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo import load_instance, solve
from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.mix.certificate import BOUND_TOLERANCE, certify
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.stats import Status

INST = load_instance(EXAMPLE_DAT)


def test_a_bound_below_the_plan_is_no_certificate():
    cert = certify(Status.OPTIMAL, 2_498_000.0, 85_282.6, target=1e-6)
    assert cert.status == Status.UNRELIABLE and cert.gap == pytest.approx((85_282.6 - 2_498_000.0) / 2_498_000.0)
    assert cert.gap < 0 and "numerically unreliable" in cert.note          # the gap is not clamped to 0


def test_a_bound_below_the_plan_within_the_tolerance_is_equal_to_it():
    cert = certify(Status.OPTIMAL, 1000.0, 1000.0 - 0.5 * BOUND_TOLERANCE * 1000.0, target=1e-6)
    assert cert.status == Status.OPTIMAL and cert.gap == 0.0


def test_a_known_plan_above_the_bound_is_a_disagreement():
    cert = certify(Status.OPTIMAL, 100.0, 100.0, target=1e-4, known=[("the start", 120.0)])
    assert cert.status == Status.UNRELIABLE and "the start" in cert.note


def test_optimal_means_within_the_gap_asked_for():
    assert certify(Status.OPTIMAL, 100.0, 100.5, target=1e-4).status == Status.FEASIBLE
    assert certify(Status.OPTIMAL, 100.0, 100.005, target=1e-4).status == Status.OPTIMAL
    assert certify(Status.OPTIMAL, 100.0, 100.005, target=None).status == Status.OPTIMAL      # the engines' 1e-4
    assert certify(Status.OPTIMAL, 100.0, 100.5, target=None).status == Status.FEASIBLE
    assert certify(Status.INTERRUPTED, 100.0, 100.5, target=1e-4).status == Status.INTERRUPTED


def test_the_plan_reoptimized_within_its_regions_replaces_a_weaker_one():
    """Between the baseline and the optimum (both feasible, so every linear rule holds), close enough to the
    optimum that every change still meets its minimum: the QP within those regions finds the optimum again."""
    from mmo_pyomo.mix.runner import _cross_check
    best = solve(INST, "hull", "scip", mip_gap=1e-8)
    assert check_plan(INST, INST.baseline).feasible
    changed = best.delta != 0
    t = max(0.8, float(np.max(INST.min_change[changed] / np.abs(best.delta[changed]))))
    weak = t * best.delta
    weak_check = check_plan(INST, INST.baseline + weak)
    assert weak_check.feasible and weak_check.revenue < best.objective - 1.0
    known: list = []
    delta, check, notes = _cross_check(INST, weak, weak_check, known, SolveOptions(), chord=False)
    assert check.revenue == pytest.approx(best.objective, rel=1e-7) and "re-optimized" in notes[0]
    assert (np.sign(delta) == np.sign(best.delta)).all() and known[0][1] == check.revenue


def test_a_small_solve_is_checked_against_the_chord_plan_too():
    """Without a start, a solve of up to 200 activities also meets the chord heuristic's plan: another
    model, in possibly other regions, whose revenue no bound may fall below."""
    from mmo_pyomo.mix.runner import _cross_check
    weak = np.zeros(INST.n)                                   # the baseline: feasible, and far from the optimum
    known: list = []
    delta, check, notes = _cross_check(INST, weak, check_plan(INST, INST.baseline), known, SolveOptions(), chord=True)
    labels = [label for label, _ in known]
    assert "the chord heuristic's plan" in labels and check.revenue > check_plan(INST, INST.baseline).revenue
    assert any("chord" in n for n in notes)


def test_an_unreliable_certificate_exits_6_and_still_writes_its_checked_plan(tmp_path):
    """The command prints the summary, writes the plan (it passed the checker), and exits 6 with the fix."""
    import subprocess
    import sys
    from pathlib import Path

    from mmo_pyomo.mix.runner import Result
    result = Result("misocp", "scip", Status.UNRELIABLE, objective=1.0, bound=0.5, message="the engine's bound …")
    from mmo_pyomo.errors import CertificateError
    with pytest.raises(CertificateError) as info:
        result.raise_for_status()
    assert info.value.exit_code == 6 and "another formulation or engine" in (info.value.fix or "")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, str(root / "scripts" / "solve.py"), "-q"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0                      # the shipped example's certificate holds
