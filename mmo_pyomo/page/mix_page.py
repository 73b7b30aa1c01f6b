"""The marketing-mix pages: one plan (``mmo solve``), and the curve of revenue against K (``mmo pareto``)."""
from __future__ import annotations

import math
from typing import Any

from mmo_pyomo.formatting import amount, gap_percent, objective_words, seconds, signed_percent
from mmo_pyomo.page import html
from mmo_pyomo.page.svg import GREY, OKABE_ITO, Chart, range_bars

SPEND = "spend (units of the data)"


def _word(record: dict[str, Any]) -> str:
    """"response" for response curves (an MMM's contribution, in the model's units), else "revenue"."""
    details = record.get("details") or {}
    return "response" if str(details.get("revenue_model", "")).startswith("response curves") else "revenue"


def certificate(record: dict[str, Any], what: str = "plan") -> str:
    """The certificate in words, with the bound and gap it states as data attributes."""
    bound, gap, status = record.get("bound"), record.get("gap"), record.get("status")
    engine = f"{record.get('solver')} {record.get('solver_version') or ''}".strip()
    nodes = record.get("nodes")
    how = (f"Engine {engine}, {record.get('formulation')} formulation; "
           f"{'unknown' if nodes is None else format(nodes, ',')} node{'' if nodes == 1 else 's'}, "
           f"{seconds(record.get('time_s'))}.")
    if status in ("optimal", "feasible") and bound is not None and gap is not None:
        words = (f"No {what} under these rules earns more than {amount(bound)}; this {what} earns "
                 f"{amount(record.get('objective'))}, within {gap_percent(gap)} of it.")
        if record.get("interpolation_error"):
            words += (f" The bound includes {amount(record['interpolation_error'])} for the piecewise-linear "
                      "surrogate of the response curves.")
        body = html.paragraph(words, "certificate", "certificate", {"bound": repr(float(bound)), "gap": repr(float(gap))})
    else:
        reason = record.get("message") or status
        words = (f"No certificate: this {what} passed the independent checker, but no bound proves how far it is "
                 f"from the best ({reason}).")
        body = html.paragraph(words, "certificate none", "certificate", {"bound": "", "gap": ""})
    return body + html.paragraph(how, "note")


def _headline(record: dict[str, Any], details: dict[str, Any]) -> str:
    lift, word = record.get("lift"), _word(record)
    labels = objective_words(record.get("target"), record.get("risk"), word)
    budget, changes = details["budget"], details["changes"]
    return html.cards([
        html.card(f"{labels['lift']} over the baseline", amount(lift),
                  f"{signed_percent(lift, record.get('baseline_revenue'))}; {labels['objective']} "
                  f"{amount(record.get('objective'))} "
                  f"against {amount(record.get('baseline_revenue'))}", "lift"),
        html.card("total spend against the budget", amount(budget["total_spend"]),
                  f"budget {amount(budget['lower'])} to {amount(budget['upper'])}; baseline "
                  f"{amount(budget['baseline_spend'])}", "spend"),
        html.card("activities changed against K", f"{changes['count']} of {changes['max_changes']}",
                  "K binds" if changes["binding"] else "K does not bind", "changes-count"),
    ])


def change_table(details: dict[str, Any], word: str = "revenue") -> str:
    """One row per changed activity, largest moves first."""
    moved = sorted((a for a in details["activities"] if a["region"] != "keep"), key=lambda a: -abs(a["change"]))
    rows = [(a["activity"], amount(a["baseline"]), amount(a["new_spend"]), f"{a['change']:+,.2f}", a["region"],
             f"{a['revenue_gain']:+,.2f}") for a in moved]
    kept = len(details["activities"]) - len(moved)
    return html.table(["activity", "baseline", "new spend", "change", "region", f"{word} gained"], rows,
                      [False, True, True, True, False, True], "change-table",
                      f"{len(moved)} activities change; {kept} keep their baseline spend.")


def curve_figure(curve: dict[str, Any], word: str = "revenue") -> str:
    """The response curve of one activity: the allowed spend shaded, the baseline and the new spend marked,
    and the band the minimum change forbids."""
    xs, ys = curve["spend"], curve["revenue"]
    span = curve["upper"] - curve["lower"] or 1.0
    finite = [y for y in ys if math.isfinite(y)]
    chart = Chart((curve["lower"] - 0.05 * span, curve["upper"] + 0.05 * span), (min(finite), max(finite)),
                  width=480, height=300, x_label=SPEND, y_label=f"{word} (units of the data)",
                  title=curve["activity"])
    chart.x_band(curve["lower"], curve["upper"], OKABE_ITO["sky_blue"], "allowed spend", 0.18)
    if curve["min_change"] > 0:
        chart.x_band(max(curve["baseline"] - curve["min_change"], curve["lower"]),
                     min(curve["baseline"] + curve["min_change"], curve["upper"]), GREY, "", 0.25)
    chart.line(xs, ys, OKABE_ITO["blue"], "response")

    def at(x: float) -> float:
        return min(zip(xs, ys), key=lambda p: abs(p[0] - x))[1]
    chart.marker(curve["baseline"], at(curve["baseline"]), "white", "baseline", "circle")
    chart.marker(curve["new_spend"], at(curve["new_spend"]), OKABE_ITO["vermillion"], "new spend", "diamond")
    caption = (f"{curve['activity']}: baseline {amount(curve['baseline'])} → {amount(curve['new_spend'])}; "
               f"allowed {amount(curve['lower'])} to {amount(curve['upper'])}; the grey band is within the minimum "
               f"change ({amount(curve['min_change'])}) of the baseline.")
    return html.figure(chart.svg(), caption)


def rules_figure(details: dict[str, Any]) -> str:
    budget = details["budget"]
    rows = [{"name": "budget", "level": budget["total_spend"], "lower": budget["lower"], "upper": budget["upper"],
             "binding": budget["binding"]}]
    rows += [{"name": r["rule"], "level": r["level"], "lower": r["lower"], "upper": r["upper"], "binding": r["binding"]}
             for r in details["rules"]]
    binding = [r["name"] for r in rows if r["binding"]]
    caption = (f"Binding: {', '.join(binding)}." if binding else "No rule binds.") + \
        " Each bar has its own scale: the shaded part is what the rule allows, the mark is the plan's level."
    return html.figure(range_bars(rows, "use of the budget and the group rules"), caption)


def mix_page(record: dict[str, Any], source: str = "") -> str:
    """The page of one marketing-mix result (the JSON of ``mmo solve --json``)."""
    details = record.get("details")
    title = f"Marketing mix plan: {record.get('instance', '')}"
    subtitle = (f"{record.get('status')} · {record.get('formulation')} on {record.get('solver')} · "
                f"{len(details['activities']) if details else '?'} activities")
    sections = [html.section("Certificate", certificate(record), "certificate-section")]
    if details is None:
        sections.append(html.paragraph("This result has no plan to show.", "note"))
        return html.document(title, subtitle, sections, source)
    sections.insert(0, _headline(record, details))
    word = _word(record)
    sections.append(html.section("What changes", change_table(details, word), "changes"))
    if details["curves"]:
        figs = "".join(curve_figure(c, word) for c in details["curves"])
        sections.append(html.section(f"Response curves of the {len(details['curves'])} largest moves",
                                     f'<div class="figures">{figs}</div>', "curves"))
    sections.append(html.section("Budget and rules", rules_figure(details), "rules"))
    notes = [f"Revenue model: {details['revenue_model']}."
             + (" The response is the media contribution the model attributes to the activities, in the model's "
                "units: intercept, trend and seasonality are not in it." if word == "response" else "")]
    if record.get("approximation"):
        notes.append(f"Solved on fitted quadratics; the sum of the K largest fit errors is "
                     f"{amount(record['approximation']['error_sum_k_largest'])}.")
    if record.get("improvement"):
        imp = record["improvement"]
        notes.append(f"The start was improved from {amount(imp['start_revenue'])} to {amount(imp['revenue'])} in "
                     f"{seconds(imp['time_s'])}.")
    sections.append(html.section("Notes", "".join(html.paragraph(n, "note") for n in notes), "notes"))
    return html.document(title, subtitle, sections, source)


def pareto_page(record: dict[str, Any], source: str = "") -> str:
    """The page of a Pareto run (``mmo pareto --json``): revenue against K with the knee marked."""
    points = record["points"]
    ok = [p for p in points if p["revenue"] is not None]
    knee = next((p for p in ok if p["knee"]), None)
    ys = [p["revenue"] for p in ok] + [p["bound"] for p in ok if p.get("bound") is not None]
    chart = Chart((0, max(p["max_changes"] for p in points)), (min(ys), max(ys)), x_label="K, the maximum number of "
                  "activities that change (count)", y_label="revenue (units of the data)", title="revenue against K")
    bounds = [p for p in ok if p.get("bound") is not None]
    if bounds:
        chart.line([p["max_changes"] for p in bounds], [p["bound"] for p in bounds], OKABE_ITO["orange"], "bound",
                   1.5, "5 4")
    chart.line([p["max_changes"] for p in ok], [p["revenue"] for p in ok], OKABE_ITO["blue"], "revenue")
    for p in ok:
        chart.marker(p["max_changes"], p["revenue"], OKABE_ITO["blue"], "", "circle", 3.5)
    if knee is not None:
        chart.marker(knee["max_changes"], knee["revenue"], OKABE_ITO["vermillion"], "knee", "diamond", 7)
    head = html.cards([
        html.card("knee", "-" if knee is None else f"K = {knee['max_changes']}",
                  "" if knee is None else f"{knee['revenue_pct']:.3f}% of the maximum revenue, "
                  f"{knee['lift_pct']:.1f}% of the maximum lift", "knee"),
        html.card("best revenue", amount(max(p["revenue"] for p in ok)) if ok else "-", f"{len(ok)} points solved"),
    ])
    rows = [(str(p["max_changes"]), p["status"], amount(p["revenue"]), amount(p.get("bound")),
             gap_percent(p.get("gap"), "-"), "-" if p.get("n_changes") is None else str(p["n_changes"]),
             "yes" if p["knee"] else "") for p in points]
    tab = html.table(["K", "status", "revenue", "bound", "gap", "changes", "knee"], rows,
                     [True, False, True, True, True, True, False], "pareto-table")
    sections = [head, html.section("Revenue against K", html.figure(chart.svg(), "The knee is the point farthest "
                                   "above the chord from the first to the last point."), "pareto"),
                html.section("Points", tab, "points")]
    title = f"Revenue against K: {record.get('instance', '')}"
    return html.document(title, f"{record.get('formulation')} on {record.get('solver')}", sections, source)
