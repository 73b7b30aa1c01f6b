"""The tightness study: root bounds, the resumable harness, the Pareto curve."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmo_pyomo.instance import write_dat
from mmo_pyomo.mix.instances import paper_instance
from mmo_pyomo.mix.pareto_curve import k_grid, knee_index, pareto_curve
from mmo_pyomo.mix.relaxation import root_bound
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.study.parallel import plan_workers
from mmo_pyomo.study.report import with_design
from mmo_pyomo.study.runs import RunKey
from mmo_pyomo.study.side_by_side import side_by_side
from mmo_pyomo.study.store import ResultStore

from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("inst", [random_instance(15, 21), random_instance(20, 22, rules=False),
                                  paper_instance(30, "strong", 0.2, 0.5, seed=3)], ids=lambda i: i.name)
def test_root_bounds_are_valid_and_ordered(inst):
    optimum = solve(inst, "miqp", mip_gap=0.0).objective
    # The perspective's relaxation (a convex NLP) is slow on SCIP without its NLP solver; its bound
    # is checked on the worked example (test_teaching_example.py).
    bounds = {f: root_bound(inst, f) for f in ("minlp", "miqp", "misocp", "hull")}
    tol = 1e-6 * abs(optimum)
    for f, b in bounds.items():
        assert b >= optimum - tol, (f, b, optimum)
    assert bounds["hull"] <= bounds["misocp"] + tol <= bounds["miqp"] + 2 * tol


def test_harness_resumes_without_repeating_runs(tmp_path):
    data = [write_dat(random_instance(12, s), tmp_path / f"inst{s}.dat") for s in (1, 2)]
    cmd = [sys.executable, str(ROOT / "scripts" / "compare.py"), "--data", *map(str, data), "--formulations",
           "miqp", "misocp", "--time-limit", "30", "--out", str(tmp_path / "out"), "--workers", "2", "--no-progress"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(results) == 4 and set(results["status"]) == {"optimal"}
    for col in ("instance", "formulation", "solver", "status", "root_bound", "objective", "bound", "gap", "nodes",
                "time_s"):
        assert col in results.columns
    assert (results["root_bound"] >= results["objective"] - 1e-6 * results["objective"].abs()).all()
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0 and "4 already in" in second.stderr and "0 to go" in second.stderr
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 4
    for name in ("report.md", "performance_profile.png", "gap_vs_time.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert "median time_s_misocp/miqp" in text and "lift_gap_miqp" in text


def test_lift_gaps_divide_by_the_revenue_gained():
    frame = pd.DataFrame({"instance": ["a", "a"], "formulation": ["miqp", "misocp"], "solver": ["scip"] * 2,
                          "status": ["feasible", "optimal"], "root_bound": [112.0, 104.0],
                          "objective": [99.0, 100.0], "bound": [110.0, 100.0]})
    out = with_design(frame, {"a": 90.0}).set_index("formulation")
    assert out.loc["miqp", "lift_gap"] == pytest.approx(11 / 10)
    assert out.loc["misocp", "root_lift_gap"] == pytest.approx(4 / 10)
    assert out.loc["miqp", "root_gap"] == pytest.approx(12 / 100)


def test_a_run_without_a_plan_has_an_infinite_lift_gap_and_unknown_lifts_print_as_a_dash():
    frame = pd.DataFrame({"instance": ["a", "a"], "formulation": ["miqp", "misocp"], "solver": ["scip"] * 2,
                          "status": ["time_limit", "optimal"], "root_bound": [112.0, 104.0],
                          "objective": [np.nan, 100.0], "bound": [110.0, 100.0], "time_s": [60.0, 5.0],
                          "nodes": [1, 1], "start_time_s": [np.nan, np.nan], "gap": [np.nan, 0.0]})
    out = with_design(frame.copy(), {"a": 90.0}).set_index("formulation")
    assert out.loc["miqp", "lift_gap"] == np.inf and out.loc["misocp", "lift_gap"] == 0
    rows = [r for r in side_by_side(frame, frame).splitlines() if r.startswith("| all 1 | misocp")]
    assert rows and rows[0].split("|")[7].strip() == "– / –"        # no baseline revenues given: not ∞


def test_store_survives_a_torn_last_line(tmp_path):
    store = ResultStore(tmp_path / "results.csv")
    store.append({"instance": "a", "formulation": "miqp", "solver": "scip", "status": "optimal", "objective": 1.0})
    with open(store.path, "a") as fh:
        fh.write("b,misocp,scip,opt")   # a crash in the middle of a line
    assert len(store.read()) == 1
    reopened = ResultStore(store.path)  # a rerun cuts the torn line and appends cleanly
    reopened.append({"instance": "b", "formulation": "misocp", "solver": "scip", "status": "optimal", "objective": 2.0})
    assert reopened.finished() == {RunKey("a", "miqp", "scip"), RunKey("b", "misocp", "scip")}


def test_workers_never_oversubscribe_cores():
    assert plan_workers(None, 1, cores=2) == 2
    assert plan_workers(4, 1, cores=2) == 2
    assert plan_workers(2, 2, cores=2) == 1
    assert plan_workers(None, 2, cores=8) == 4


def test_pareto_curve_is_monotone_with_a_knee():
    inst = random_instance(25, 31, rules=False, k_fraction=1.0)
    frame = pareto_curve(inst, "misocp", steps=5)
    assert frame["max_changes"].tolist() == k_grid(25, 5) == [0, 5, 10, 15, 20, 25]
    revenue = frame["revenue"].to_numpy()
    assert np.all(np.diff(revenue) >= -1e-6 * abs(revenue[-1]))
    assert frame["revenue_pct"].iloc[-1] == pytest.approx(100.0) and frame["knee"].sum() == 1
    assert revenue[0] == pytest.approx(inst.const.sum())


def test_knee_of_a_concave_curve():
    ks = np.array([0, 1, 2, 3, 4, 5.0])
    assert knee_index(ks, np.array([0, 80, 95, 98, 99, 100.0])) == 1


def test_pareto_on_a_budget_cut_starts_at_the_smallest_feasible_k(tmp_path):
    from mmo_pyomo.mix.pareto_curve import plot_pareto, smallest_budget_feasible_k
    inst = random_instance(16, seed=1, budget=(0.90, 0.97))       # the baseline breaks the budget: K = 0 has no plan
    k_min = smallest_budget_feasible_k(inst)
    assert k_min > 0
    frame = pareto_curve(inst, "misocp", steps=4)
    assert (frame.loc[frame["max_changes"] < k_min, "status"] == "infeasible").all()
    assert frame.loc[frame["max_changes"] < k_min, "revenue"].isna().all()
    assert k_min in set(frame["max_changes"])
    ok = frame[frame["revenue"].notna()]
    assert ok["max_changes"].min() >= k_min
    assert (ok["revenue"].diff().dropna() >= -1e-6 * ok["revenue"].abs().max()).all()
    assert frame["knee"].sum() == 1
    png = plot_pareto(frame, inst.n, tmp_path / "pareto.png")
    assert png.stat().st_size > 1000


def test_study_keys_runs_by_path_and_retries_failed_runs(tmp_path):
    from mmo_pyomo.instance import write_dat
    a = write_dat(random_instance(8, 1), tmp_path / "a" / "x.dat")
    b = write_dat(random_instance(8, 2), tmp_path / "b" / "x.dat")          # the same file name in another folder
    out = tmp_path / "study"
    cmd = [sys.executable, str(ROOT / "scripts" / "compare.py"), "--data", str(a), str(b), str(a), "--formulations",
           "miqp", "--time-limit", "30", "--workers", "1", "--no-progress", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    frame = ResultStore(out / "results.csv").read()
    assert sorted(frame["instance"]) == ["a/x", "b/x"]                       # both solved, each once
    assert frame["objective"].nunique() == 2
    # a run stored as failed is kept until asked for, then run again and superseded
    lines = (out / "results.csv").read_text().splitlines(keepends=True)
    (out / "results.csv").write_text("".join(line for line in lines if str(a.resolve()) not in line))
    store = ResultStore(out / "results.csv")
    store.append({"instance": "a/x", "formulation": "miqp", "solver": "scip", "status": "error", "message": "boom",
                  "path": str(a.resolve())})
    assert "a/x" in set(store.read().loc[lambda f: f["status"] == "error", "instance"])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "0 to go" in proc.stderr, proc.stderr
    proc = subprocess.run([*cmd, "--retry-failed"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "1 to go" in proc.stderr, proc.stderr
    after = ResultStore(out / "results.csv").read()
    assert set(after["status"]) == {"optimal"} and len(after) == 2
    assert (out / "report.md").read_text().count("|") > 10


def test_study_at_a_gap_target_from_the_chord_start(tmp_path):
    from mmo_pyomo.instance import write_dat
    data = [write_dat(random_instance(12, s, budget=(0.90, 0.97)), tmp_path / f"cut{s}.dat") for s in (1, 2)]
    out = tmp_path / "study"
    cmd = [sys.executable, str(ROOT / "scripts" / "compare.py"), "--data", *map(str, data), "--formulations", "hull",
           "--time-limit", "30", "--workers", "1", "--no-progress", "--out", str(out), "--gap", "1e-4",
           "--start", "chord"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    frame = ResultStore(out / "results.csv").read()
    assert (frame["gap_target"] == 1e-4).all() and (frame["start"] == "chord").all()
    assert (frame["start_revenue"] <= frame["objective"] + 1e-6 * frame["objective"].abs()).all()
    assert (frame["start_time_s"] > 0).all() and (frame["gap"] <= 1e-4).all()
    text = (out / "report.md").read_text()
    assert "within_1e-4_hull" in text and "within_1e-6_hull" in text
    other = subprocess.run([*cmd[:-4], "--gap", "1e-6"], capture_output=True, text=True, timeout=600)
    assert other.returncode == 2 and "use another --out" in other.stderr
    # the same instances without a start and without root bounds, then the two side by side
    cold = tmp_path / "cold"
    proc = subprocess.run([*cmd[:-4], "--gap", "1e-4", "--no-root-bound", "--out", str(cold)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    cold_frame = ResultStore(cold / "results.csv").read()
    assert cold_frame["root_bound"].isna().all() and (cold_frame["start"] == "none").all()
    # both settings reach the same optimum within their gap target
    merged = cold_frame.merge(frame, on=["path", "formulation"])
    assert (abs(merged["objective_x"] - merged["objective_y"]) <= 1e-4 * merged["objective_y"].abs()).all()
    proc = subprocess.run([*cmd, "--report-only", "--against", str(cold)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert len(ResultStore(out / "results.csv").read()) == len(frame)          # --report-only ran nothing
    table = (out / "side_by_side.md").read_text()
    assert "# cold against study, run for run" in table and "| all 2 | hull | 2 | 100% / 100% |" in table


@pytest.mark.parametrize("statuses", [["error", "cannot_run"], ["optimal", "error"], ["infeasible", "time_limit"]])
def test_report_works_with_any_mix_of_statuses(statuses):
    from mmo_pyomo.study.report import report
    n = len(statuses)
    frame = pd.DataFrame({"instance": ["strong_n500_d10_k50_s1"] * n, "formulation": ["miqp", "hull"][:n],
                          "solver": ["scip"] * n, "status": statuses, "root_bound": [10.0] * n,
                          "objective": [9.0 if s in ("optimal", "feasible") else np.nan for s in statuses],
                          "bound": [9.5] * n, "gap": [0.05 if s in ("optimal", "feasible") else np.nan for s in statuses],
                          "nodes": [3] * n, "time_s": [1.0] * n})
    text = report(frame, "scip", {"strong_n500_d10_k50_s1": 5.0})
    assert "Runs of scip by status: " + ", ".join(f"{s} 1" for s in statuses) in text


def test_a_run_stored_twice_is_written_once(tmp_path):
    """Dask may hand back a finished run again (recomputed after a lost worker): one line per key,
    while a failed run may still be superseded by its retry."""
    store = ResultStore(tmp_path / "results.csv")
    ok = {"instance": "x", "formulation": "hull", "solver": "scip", "status": "optimal", "objective": 1.0,
          "path": "/a/x.dat"}
    store.append(ok)
    store.append(ok)
    failed = {**ok, "formulation": "misocp", "status": "error"}
    store.append(failed)
    store.append({**failed, "status": "optimal"})
    assert len(ResultStore(tmp_path / "results.csv").path.read_text().splitlines()) == 1 + 3
    frame = ResultStore(tmp_path / "results.csv").read()
    assert sorted(frame["status"]) == ["optimal", "optimal"]


def test_runs_record_their_cpu_share_and_starved_runs_are_flagged(tmp_path):
    """A store written before the CPU columns existed takes the new header; a run that had less than
    STARVED_CPU_SHARE of a core is named in the report."""
    from mmo_pyomo.study.report import report, starved
    from mmo_pyomo.study.runs import COLUMNS, run_one
    old = tmp_path / "results.csv"
    width = COLUMNS.index("wall_s")
    old.write_text(",".join(COLUMNS[:width]) + "\nx,miqp,scip,optimal" + ",1" * 5 + "," * (width - 9) + "\n")
    store = ResultStore(old)
    assert old.read_text().splitlines()[0] == ",".join(COLUMNS)
    record = run_one(str(write_dat(random_instance(12, 1), tmp_path / "a.dat")), "misocp", "scip", 30)
    assert record["status"] == "optimal" and record["wall_s"] > 0 and record["cpu_s"] > 0 and record["load_1m"] >= 0
    store.append(record)
    frame = store.read()
    assert len(frame) == 2 and frame["cpu_s"].isna().sum() == 1       # the old row reads the new columns as empty
    frame.loc[frame["formulation"] == "misocp", "cpu_s"] = 0.3 * frame["wall_s"]
    assert list(starved(frame)) == [False, True]
    assert "**Warning:** 1 of the 1 runs with a recorded CPU time" in report(frame)


def test_the_committed_table_2_reports_are_reproduced_from_their_runs(tmp_path):
    """docs/study/table2_gap1e-4: the report and the side-by-side written from the committed results.csv
    files (cold and warm runs of the 81 grid instances, regenerated here for their baseline revenues) are the
    committed files, byte for byte."""
    import shutil
    from pathlib import Path

    from mmo_pyomo.mix.instances import grid_instances
    from mmo_pyomo.study.report import report
    from mmo_pyomo.study.side_by_side import side_by_side
    study = Path(__file__).resolve().parent.parent / "docs" / "study" / "table2_gap1e-4"
    base = {inst.name: float(inst.const.sum()) for inst in grid_instances(per_cell=1)}
    runs = {}
    for name in ("cold", "warm"):
        shutil.copy(study / f"{name}.csv", tmp_path / f"{name}.csv")
        runs[name] = ResultStore(tmp_path / f"{name}.csv").read()
    assert report(runs["cold"], "scip", base) == (study / "cold_report.md").read_text()
    assert side_by_side(runs["cold"], runs["warm"], ("cold", "warm"), base, "scip") == \
        (study / "side_by_side.md").read_text()


@pytest.mark.parametrize("concurrent", [False, True], ids=["hull_oa_lagrangian_cuts", "concurrent"])
def test_certified_pareto_points_agree_with_the_exact_curve(concurrent):
    """Each point certified within the gap (hull_oa on HiGHS with the Lagrangian relaxation's cuts, or the
    concurrent solve) lies within that gap of the exact curve (MISOCP on SCIP, gap 0), and its bound brackets it."""
    inst = random_instance(30, 7, rules=True, k_fraction=0.3, budget=(0.90, 0.97))
    exact = pareto_curve(inst, "misocp", steps=3, gap=0.0).set_index("max_changes")
    frame = pareto_curve(inst, "hull_oa", "highs", steps=3, time_limit=60, gap=1e-6, concurrent=concurrent)
    ok = frame[frame["revenue"].notna()]
    assert len(ok) >= 3 and (ok["status"] == "optimal").all() and (ok["gap"] <= 1e-6).all()
    for _, row in ok.iterrows():
        best = exact.loc[row["max_changes"], "revenue"]
        assert row["revenue"] == pytest.approx(best, rel=2e-6)
        assert row["bound"] >= best * (1 - 1e-7)          # (engines' feasibility tolerances: 1e-6 per row)


def test_pareto_at_chosen_values_of_k():
    from mmo_pyomo.data import EXAMPLE_DAT
    from mmo_pyomo.errors import MMOError
    from mmo_pyomo.instance.load import load_instance
    from mmo_pyomo.mix.runner import solve
    inst = load_instance(EXAMPLE_DAT)
    frame = pareto_curve(inst, "misocp", ks=[12, 3, 12])
    assert frame["max_changes"].tolist() == [3, 12]
    for k, revenue in zip(frame["max_changes"], frame["revenue"]):
        assert revenue == pytest.approx(solve(inst.with_changes(max_changes=int(k)), "hull", "scip", mip_gap=0.0).objective,
                                        rel=1e-6)
    with pytest.raises(MMOError, match="K = 41"):
        pareto_curve(inst, ks=[41])


def test_pareto_below_the_fewest_changes_is_infeasible_where_the_chord_finds_no_plan(monkeypatch):
    """With no time for the chord heuristic, the fewest-changes MILP tells which K admit no plan (K = 2 here,
    though the budget alone could be met with 2 changes) and gives the start at the first K that does; each
    point equals the exact optimum at its K (MISOCP on SCIP, gap 0)."""
    import mmo_pyomo.mix.pareto_curve as pc
    monkeypatch.setattr(pc, "CHORD_S", 0.0)
    inst = random_instance(14, seed=3, budget=(0.85, 0.92), k_fraction=1.0)
    frame = pareto_curve(inst, "misocp", ks=[2, 3, 14], gap=0.0).set_index("max_changes")
    assert frame.loc[2, "status"] == "infeasible" and np.isnan(frame.loc[2, "revenue"])
    for k in (3, 14):
        exact = solve(inst.with_changes(max_changes=k), "misocp", mip_gap=0.0)
        assert frame.loc[k, "status"] == "optimal"
        assert frame.loc[k, "revenue"] == pytest.approx(exact.objective, rel=1e-6)


def _whole_line(name, objective=1.0, status="optimal"):
    from mmo_pyomo.study.runs import COLUMNS
    record = {"instance": name, "formulation": "miqp", "solver": "scip", "status": status, "objective": objective,
              "bound": objective, "gap": 0.0, "nodes": 1, "time_s": 0.5, "path": f"/{name}.dat"}
    return ",".join("" if record.get(c) is None else str(record[c]) for c in COLUMNS) + "\n"


@pytest.mark.parametrize("damage", [
    lambda line: line[:25] + "\n",                                   # cut short (fewer fields)
    lambda line: line[:20] + "," * (line.count(",") - line[:20].count(",")) + "\n",   # cut before its objective, padded
    lambda line: "c,miqp,scip,optimal" + "," * (line.count(",") - 3) + "\n",        # a spreadsheet's empty cells
    lambda line: line.replace("optimal", "opt", 1),                  # a status cut short
    lambda line: line.replace(",", ",,", 1),                        # a field too many
])
def test_a_line_that_is_not_a_whole_record_anywhere_is_not_a_finished_run(tmp_path, caplog, damage):
    import logging
    path = tmp_path / "results.csv"
    store = ResultStore(path)
    with open(path, "a") as fh:
        fh.write(_whole_line("a") + damage(_whole_line("c", 2.0)) + _whole_line("d", 3.0)
                 + _whole_line("e", None, "infeasible"))
    caplog.set_level(logging.WARNING)
    assert {k.instance for k in store.finished()} == {"/a.dat", "/d.dat", "/e.dat"}     # c runs again
    assert "line(s) 3 are not whole records" in caplog.text
    frame = store.read()
    assert frame.set_index("instance").loc[["a", "d"], "objective"].tolist() == [1.0, 3.0]
    assert caplog.text.count("not whole records") == 1                # named once, not at every read
    store.append({"instance": "c", "path": "/c.dat", "formulation": "miqp", "solver": "scip", "status": "optimal",
                  "objective": 2.0})
    assert {k.instance for k in ResultStore(path).finished()} == {"/a.dat", "/c.dat", "/d.dat", "/e.dat"}
