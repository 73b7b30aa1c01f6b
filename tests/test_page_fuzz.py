"""The plan page on damaged result records: real records of real solves, one field at any depth replaced by a
value of another type (or deleted); the page either renders or says which field is wrong (an MMOError), never
another exception. No browser needed."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_page import IMG, SCRIPT, assert_inert

from mmo_pyomo.errors import MMOError
from mmo_pyomo.page import render_page

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "data" / "bank"

#: What a damaged field may hold instead: every JSON type, and the numbers json.loads accepts.
ODD = [None, True, False, 0, -1, 2.5, 1e300, -1e300, float("nan"), float("inf"), "", "text", "<b>x</b>", [], [None],
       [1, 2], ["a"], [[1]], {}, {"a": 1}, {"kind": "mix"}]
DELETE = object()


def _cli(tmp: Path, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", *args], capture_output=True, text=True, cwd=tmp,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """One real record of each kind the page draws, from real solves of the shipped examples."""
    tmp = tmp_path_factory.mktemp("records")
    _cli(tmp, "solve", "--formulation", "misocp", "--json", "mix.json")
    _cli(tmp, "pareto", "--k", "0", "5", "40", "--out", "pareto", "--json", "pareto.json")
    _cli(tmp, "offers", "solve", "--data", str(BANK), "--out", "offers")
    _cli(tmp, "offers", "sweep", "--data", str(BANK), "--budget", "0.5M:1M:2", "--out", "sweep", "--json",
         "sweep.json")
    out = {"mix": json.loads((tmp / "mix.json").read_text()), "pareto": json.loads((tmp / "pareto.json").read_text()),
           "offers": json.loads((tmp / "offers" / "report.json").read_text()),
           "offers_sweep": json.loads((tmp / "sweep.json").read_text())}
    for kind, record in out.items():
        assert record["kind"] == kind
        render_page(record)                       # each renders undamaged
    return out


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node)
    return list(range(len(node))) if isinstance(node, list) else []


def _damage(data: st.DataObject, record: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """A copy of ``record`` with one field, reached by a random walk from the top, replaced or deleted."""
    record = copy.deepcopy(record)
    parent: Any = None
    node: Any = record
    path: list[Any] = []
    while _children(node) and (not path or data.draw(st.integers(0, 3), "descend") > 0):
        key = data.draw(st.sampled_from(_children(node)), "key")
        parent, node = node, node[key]
        path.append(key)
    if not path:
        return record, path
    value = data.draw(st.sampled_from([DELETE, *ODD]), "value")
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return record, path


@pytest.mark.parametrize("kind", ["mix", "pareto", "offers", "offers_sweep"])
@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_record_renders_or_is_an_mmo_error(records, kind, data):
    record, path = _damage(data, records[kind])
    try:
        page = render_page(record)
    except MMOError as exc:
        assert exc.exit_code == 2 and exc.fix, exc
        return
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_the_error_names_the_field_and_the_fix(records):
    mix = copy.deepcopy(records["mix"])
    mix["details"]["activities"][3]["activity"] = None
    with pytest.raises(MMOError, match=r"details\.activities\[3\]\.activity: expected text, got null") as exc:
        render_page(mix)
    assert "mmo solve --json" in str(exc.value)
    offers = copy.deepcopy(records["offers"])
    offers["contacts"] = "all of them"
    with pytest.raises(MMOError, match=r"contacts: expected a record, got text") as exc:
        render_page(offers)
    assert "mmo offers solve" in str(exc.value)
    offers = copy.deepcopy(records["offers"])
    offers["constraints"][0]["name"] = None
    with pytest.raises(MMOError, match=r"constraints\[0\]\.name: expected text, got null"):
        render_page(offers)
    pareto = copy.deepcopy(records["pareto"])
    pareto["points"][1]["status"] = None
    with pytest.raises(MMOError, match=r"points\[1\]\.status: expected text, got null") as exc:
        render_page(pareto)
    assert "mmo pareto --json" in str(exc.value)
    for kind in (["mix"], {"a": 1}, None, 3):
        with pytest.raises(MMOError, match="which no page draws"):
            render_page({**records["mix"], "kind": kind})
    sweep = copy.deepcopy(records["offers_sweep"])
    del sweep["sweeps"][0]["rows"][1]["budget"]
    with pytest.raises(MMOError, match=r"sweeps\[0\]\.rows\[1\]\.budget: expected a finite number \(the swept "
                                       r"amount\), got nothing"):
        render_page(sweep)


def _hostile(node: Any, k: list[int]) -> Any:
    """``node`` with every text value (not the kind) replaced by markup, numbered to keep names distinct."""
    if isinstance(node, dict):
        return {key: v if key == "kind" else _hostile(v, k) for key, v in node.items()}
    if isinstance(node, list):
        return [_hostile(v, k) for v in node]
    if isinstance(node, str):
        k[0] += 1
        return f"{SCRIPT if k[0] % 2 else IMG}{k[0]}"
    return node


@pytest.mark.parametrize("kind", ["mix", "pareto", "offers", "offers_sweep"])
def test_every_text_of_a_record_is_shown_as_text(records, kind):
    """Every text field of a crafted record (names, statuses, the engine, the swept parameter) holds markup:
    the page shows it escaped, in text and in attributes (ids included)."""
    record = _hostile(records[kind], [0])
    for sweep, was in zip(record.get("sweeps", []), records[kind].get("sweeps", [])):   # rows keyed by parameter
        old = was["parameter"]
        sweep["rows"] = [{sweep["parameter"] if key == old else key: v for key, v in r.items()} for r in sweep["rows"]]
    assert_inert(render_page(record, source=IMG))


def test_mmo_page_reads_any_file_or_says_why_not(tmp_path):
    """Files that are not result records at all: each is exit 2 with the cause, never a traceback."""
    for name, body in {"nested.json": "[" * 100_000 + "]" * 100_000, "list.json": "[1, 2]", "null.json": "null",
                       "binary.json": b"\xff\xfe{".decode("latin-1"), "kind.json": '{"kind": ["mix"]}',
                       "nan.json": '{"kind": "offers", "profit": NaN}'}.items():
        (tmp_path / name).write_text(body, encoding="latin-1")
        proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "page", str(tmp_path / name)], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and "fix" in proc.stderr, (name, proc.stderr)
        assert not (tmp_path / name).with_suffix(".html").exists()
