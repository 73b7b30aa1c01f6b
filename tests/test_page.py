"""The plan page, opened in a real browser (headless Chromium): it renders, it is not blank, and what it states
is what the result file says."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo.errors import MMOError
from mmo_pyomo.formatting import amount, gap_percent
from mmo_pyomo.page import render_page

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "data" / "bank"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("MMO_REQUIRE_CHROMIUM"):
            pytest.fail("MMO_REQUIRE_CHROMIUM is set and no chromium is on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH: the page tests need Debian's chromium package (apt-get install chromium)")
    return found


def _browser(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-dev-shm-usage", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


#: Appended to a test copy of the page only (the page itself has no script): it records, into the DOM that
#: --dump-dom prints, the size of every figure and image and the width of the page.
PROBE = """<script>
window.addEventListener('load', () => {
  const figs = [...document.querySelectorAll('svg.chart')].map(s => {
    const r = s.getBoundingClientRect(); return [r.width, r.height, r.right]; });
  const imgs = [...document.images].map(i => [i.complete, i.naturalWidth]);
  document.body.setAttribute('data-probe', JSON.stringify({figs, imgs, width: document.documentElement.clientWidth,
                                                           scroll: document.documentElement.scrollWidth}));
});
</script>"""


def _dom(page: Path, tmp_path: Path, width: int) -> tuple[str, dict]:
    probe = tmp_path / f"probe_{width}_{page.name}"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    proc = _browser(f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    marker = 'data-probe="'
    start = proc.stdout.index(marker) + len(marker)
    raw = proc.stdout[start:proc.stdout.index('"', start)]
    return proc.stdout, json.loads(raw.replace("&quot;", '"'))


class _Tables(HTMLParser):
    """Rows of each table's body, by id; the certificate paragraph's attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, int] = {}
        self.table: str | None = None
        self.in_body = False
        self.certificate: dict[str, str] = {}
        self.in_certificate = False
        self.certificate_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id")
            self.rows[self.table or ""] = 0
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.table is not None:
            self.rows[self.table] += 1
        elif tag == "p" and a.get("id") == "certificate":
            self.certificate = {k: v or "" for k, v in a.items()}
            self.in_certificate = True

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.table = None
        elif tag == "p":
            self.in_certificate = False

    def handle_data(self, data):
        if self.in_certificate:
            self.certificate_text += data


def _parse(dom: str) -> _Tables:
    parser = _Tables()
    parser.feed(dom)
    return parser


def _not_blank(page: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread
    shot = tmp_path / f"{page.stem}.png"
    proc = _browser("--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    pixels = imread(shot)[..., :3]
    ink = (pixels.mean(axis=2) < 0.9).mean()           # share of pixels that are not (nearly) white
    assert ink > 0.02, f"the page looks blank: {ink:.4f} of its pixels are not white"
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 20, "the page has almost no colours"


def _self_contained(text: str) -> None:
    lowered = text.lower()
    assert "<script" not in lowered and "<link" not in lowered and "<img" not in lowered
    assert "src=" not in lowered and "@import" not in lowered and "url(" not in lowered
    assert lowered.count("http") == lowered.count("http://www.w3.org/2000/svg")       # the SVG namespace only


def _renders_everywhere(page: Path, tmp_path: Path) -> str:
    """The page at a laptop's width and at a narrow one: every figure drawn, none wider than the page, nothing
    to scroll sideways, no broken image. Returns the DOM at the laptop's width."""
    dom = ""
    for width in (1280, 760):
        got, probe = _dom(page, tmp_path, width)
        dom = dom or got
        assert probe["figs"], "no figure on the page"
        for w, h, right in probe["figs"]:
            assert w > 100 and h > 50, probe
            assert right <= probe["width"] + 1, (width, probe)
        assert probe["scroll"] <= probe["width"] + 1, (width, probe)
        assert all(done and natural > 0 for done, natural in probe["imgs"]), probe
    return dom


def _opened(page: Path, tmp_path: Path) -> tuple[str, _Tables]:
    """The page checked self-contained and rendered at both widths: its DOM, and the DOM parsed."""
    _self_contained(page.read_text())
    dom = _renders_everywhere(page, tmp_path)
    return dom, _parse(dom)


def _print_to_pdf(page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / f"{page.stem}.pdf"
    proc = _browser(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert proc.returncode == 0 and pdf.is_file() and pdf.stat().st_size > 5000, proc.stderr[-2000:]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmo_pyomo", *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


# --------------------------------------------------------------------------- marketing mix
@pytest.fixture(scope="module")
def mix_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("mix")
    proc = _cli("solve", "--formulation", "misocp", "--json", str(out / "result.json"), "--page", str(out / "plan.html"))
    assert proc.returncode == 0, proc.stderr
    return out / "plan.html", json.loads((out / "result.json").read_text())


def test_mix_page_in_a_browser(mix_page, tmp_path):
    page, record = mix_page
    dom, parsed = _opened(page, tmp_path)
    assert parsed.rows["change-table"] == record["n_changes"] == record["details"]["changes"]["count"] > 0
    cert = parsed.certificate
    assert float(cert["data-bound"]) == record["bound"] and float(cert["data-gap"]) == record["gap"]
    assert amount(record["bound"]) in parsed.certificate_text and gap_percent(record["gap"]) in parsed.certificate_text
    assert amount(record["objective"]) in parsed.certificate_text
    assert dom.count('class="chart"') == len(record["details"]["curves"]) + 1       # the curves and the rules
    _not_blank(page, tmp_path)
    _print_to_pdf(page, tmp_path)


def test_mix_page_states_the_plan(mix_page):
    page, record = mix_page
    text = page.read_text()
    details = record["details"]
    assert "6,405.21" in text and amount(record["lift"]) in text and "12 of 12" in text
    moved = sorted((a for a in details["activities"] if a["region"] != "keep"), key=lambda a: -abs(a["change"]))
    order = [text.index(f"<td class=\"\">{a['activity']}</td>") for a in moved]
    assert order == sorted(order), "the change table lists the largest moves first"
    assert [c["activity"] for c in details["curves"]] == [a["activity"] for a in moved[:len(details["curves"])]]
    binding = {r["rule"] for r in details["rules"] if r["binding"]}
    assert "binds (upper)" in text and all(name in text for name in binding)
    # the details agree with the instance: each activity's revenue gain is its revenue at the new spend less the old
    assert sum(a["revenue_gain"] for a in details["activities"]) == pytest.approx(record["lift"], rel=1e-9)


def test_page_is_drawn_again_from_the_result_alone(mix_page, tmp_path):
    page, record = mix_page
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(record))
    proc = _cli("page", str(saved), "--out", str(tmp_path / "again.html"))
    assert proc.returncode == 0, proc.stderr
    body = lambda p: p.read_text().split("<footer>")[0]                     # the footer says when and from what
    assert body(tmp_path / "again.html") == body(page)
    proc = _cli("page", str(saved))                                        # default: beside the result
    assert proc.returncode == 0 and (tmp_path / "saved.html").is_file()


def test_page_errors_are_clear_and_lose_nothing(tmp_path, mix_page):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = _cli("page", str(bad))
    assert proc.returncode == 2 and "not a JSON result" in proc.stderr and "Traceback" not in proc.stderr
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"kind": "horoscope"}))
    proc = _cli("page", str(odd))
    assert proc.returncode == 2 and "no page draws" in proc.stderr
    proc = _cli("page", str(odd), "--out", str(odd))
    assert proc.returncode == 2 and "would be overwritten" in proc.stderr and json.loads(odd.read_text())
    # the page's location is checked before the solve, and nothing is written when it cannot be
    (tmp_path / "file").write_text("x")
    proc = _cli("solve", "--json", str(tmp_path / "r.json"), "--page", str(tmp_path / "file" / "p.html"))
    assert proc.returncode == 2 and "--page" in proc.stderr and not (tmp_path / "r.json").exists()
    with pytest.raises(MMOError, match=r"details\.budget: expected a record, got nothing"):
        render_page({"kind": "mix", "details": {"activities": []}})
    # a damaged record of a real solve: exit 2 naming the field and the fix, and no page written
    damaged = mix_page[1] | {"details": mix_page[1]["details"] | {"activities": [None]}}
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    proc = _cli("page", str(tmp_path / "damaged.json"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "details.activities[0]: expected a record, got null" in proc.stderr and "mmo solve --json" in proc.stderr
    assert not (tmp_path / "damaged.html").exists()


def test_pareto_page(tmp_path):
    proc = _cli("pareto", "--steps", "4", "--out", str(tmp_path / "curve"), "--json", str(tmp_path / "pareto.json"),
                "--page", str(tmp_path / "pareto.html"))
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "pareto.json").read_text())
    page = tmp_path / "pareto.html"
    dom, parsed = _opened(page, tmp_path)
    assert parsed.rows["pareto-table"] == len(record["points"])
    knee = next(p for p in record["points"] if p["knee"])
    assert f"K = {knee['max_changes']}" in dom and ">knee<" in dom
    _not_blank(page, tmp_path)


# --------------------------------------------------------------------------- offers
def test_offers_page_in_a_browser(tmp_path):
    out = tmp_path / "campaign"
    proc = _cli("offers", "solve", "--data", str(BANK), "--out", str(out), "--page", str(tmp_path / "offers.html"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    page = tmp_path / "offers.html"
    dom, parsed = _opened(page, tmp_path)
    assert parsed.rows["constraint-table"] == len(report["constraints"])
    assert float(parsed.certificate["data-bound"]) == report["bound"]
    assert float(parsed.certificate["data-gap"]) == report["bound_gap"]
    assert gap_percent(report["bound_gap"]) in parsed.certificate_text
    assert "One more dollar of budget is worth" in dom
    counts = np.array(report["contacts"]["counts"])
    assert counts.sum() == report["offers_made"] and "offers made by offer × channel" in dom
    _not_blank(page, tmp_path)
    # report.json draws the same page again
    proc = _cli("page", str(out / "report.json"), "--out", str(tmp_path / "again.html"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "again.html").read_text().split("<footer>")[0] == page.read_text().split("<footer>")[0]


def test_sweep_page(tmp_path):
    proc = _cli("offers", "sweep", "--data", str(BANK), "--budget", "100:300:3", "--out", str(tmp_path / "sweep"),
                "--json", str(tmp_path / "sweep.json"), "--page", str(tmp_path / "sweep.html"))
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "sweep.json").read_text())
    page = tmp_path / "sweep.html"
    dom = _renders_everywhere(page, tmp_path)
    assert _parse(dom).rows["sweep-budget"] == len(record["sweeps"][0]["rows"]) == 3
    assert "marginal value of budget" in dom


# --------------------------------------------------------------------------- text from data is never markup
SCRIPT, IMG = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'


class _Markup(HTMLParser):
    """Every tag and attribute of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


def assert_inert(page: str) -> None:
    """``page`` shows the hostile names only as text: no script or image element, no event attribute, no
    attribute value broken out of its quotes."""
    assert "<script" not in page and "<img" not in page
    markup = _Markup()
    markup.feed(page)
    assert "script" not in markup.tags and "img" not in markup.tags
    assert not [a for a, _ in markup.attrs if a.startswith("on") or a == "src"]


def test_names_from_data_are_shown_never_executed(tmp_path):
    """An instance whose activity and rule names are markup, solved for real: the page (at --page, and drawn again
    by mmo page) holds them escaped, in text and in attributes."""
    from html import escape

    from mmo_pyomo.instance import from_frames, to_frames, write_csv_dir

    from helpers import random_instance
    acts, rules, settings = to_frames(random_instance(8, 3))
    hostile = {a: f"{SCRIPT if k % 2 else IMG}{k}" for k, a in enumerate(acts["activity"])}
    acts["activity"] = acts["activity"].map(hostile)
    rules["activity"] = rules["activity"].map(hostile)
    names = list(dict.fromkeys(rules["rule"]))
    rules["rule"] = rules["rule"].map({r: f"{IMG if k % 2 else SCRIPT}{k}" for k, r in enumerate(names)})
    write_csv_dir(from_frames(acts, rules, **settings), tmp_path / "hostile")
    proc = _cli("solve", "--data", str(tmp_path / "hostile"), "--formulation", "misocp", "--json",
                str(tmp_path / "r.json"), "--page", str(tmp_path / "p.html"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = json.loads((tmp_path / "r.json").read_text())
    moved = [a["activity"] for a in record["details"]["activities"] if a["region"] != "keep"]
    assert moved and record["details"]["rules"] and record["details"]["curves"]
    assert _cli("page", str(tmp_path / "r.json"), "--out", str(tmp_path / "again.html")).returncode == 0
    for page in (tmp_path / "p.html", tmp_path / "again.html"):
        text = page.read_text()
        assert_inert(text)
        for name in moved + [r["rule"] for r in record["details"]["rules"]]:
            assert escape(name) in text                       # shown, as text
