"""The page's frame: one HTML document with its styles inline, tables, and headline cards."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape

from mmo_pyomo.page.svg import OKABE_ITO

STYLE = f"""
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1040px;
       padding: 24px; color: #1a1a1a; line-height: 1.4; }}
h1 {{ font-size: 1.6em; margin-bottom: 0.2em; }}
h2 {{ font-size: 1.2em; margin-top: 1.6em; border-bottom: 2px solid {OKABE_ITO["blue"]}; padding-bottom: 4px; }}
.subtitle {{ color: #555; margin-top: 0; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }}
.card {{ flex: 1 1 200px; border: 1px solid #ccc; border-radius: 6px; padding: 10px 14px; }}
.card .label {{ font-size: 0.85em; color: #555; }}
.card .value {{ font-size: 1.4em; font-weight: bold; }}
.card .detail {{ font-size: 0.85em; color: #333; }}
.certificate {{ border-left: 6px solid {OKABE_ITO["bluish_green"]}; background: #f3faf7; padding: 10px 16px; }}
.certificate.none {{ border-left-color: {OKABE_ITO["orange"]}; background: #fff8ec; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ padding: 4px 8px; border-bottom: 1px solid #ddd; }}
th {{ text-align: left; background: #f4f4f4; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.figures figure {{ flex: 1 1 300px; margin: 0; max-width: 100%; }}
figure {{ margin: 12px 0; max-width: 100%; }}
svg.chart {{ height: auto; display: block; }}
.axis-label {{ fill: #333; }}
.note {{ color: #555; font-size: 0.9em; }}
footer {{ margin-top: 2em; color: #777; font-size: 0.8em; }}
@media print {{
  body {{ max-width: none; padding: 0; }}
  h2 {{ break-after: avoid; }}
  figure, tr, .card {{ break-inside: avoid; }}
}}
"""


def document(title: str, subtitle: str, sections: Sequence[str], source: str = "") -> str:
    """The whole page: no script, no external resource."""
    from mmo_pyomo import __version__
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    origin = f" from {escape(source)}" if source else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n<p class=\"subtitle\">{escape(subtitle)}</p>\n"
            + "\n".join(sections)
            + f"\n<footer>Made by mmo-pyomo {escape(__version__)}{origin} on {made}.</footer>\n</body>\n</html>\n")


def section(heading: str, body: str, ident: str) -> str:
    return f'<section id="{escape(ident)}">\n<h2>{escape(heading)}</h2>\n{body}\n</section>'


def card(label: str, value: str, detail: str = "", ident: str = "") -> str:
    attr = f' id="{escape(ident)}"' if ident else ""
    return (f'<div class="card"{attr}><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
            f'<div class="detail">{escape(detail)}</div></div>')


def cards(items: Sequence[str]) -> str:
    return '<div class="cards">' + "".join(items) + "</div>"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], ident: str,
          caption: str = "") -> str:
    """A table whose numeric columns are right-aligned; cells are escaped here."""
    head = "".join(f'<th class="{"num" if n else ""}">{escape(h)}</th>' for h, n in zip(headers, numeric))
    body = "\n".join("<tr>" + "".join(f'<td class="{"num" if n else ""}">{escape(c)}</td>' for c, n in zip(r, numeric))
                     + "</tr>" for r in rows)
    cap = f"<caption class=\"note\">{escape(caption)}</caption>" if caption else ""
    return f'<table id="{escape(ident)}">{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'


def figure(svg: str, caption: str = "") -> str:
    cap = f"<figcaption class=\"note\">{escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def paragraph(text: str, cls: str = "", ident: str = "", data: dict[str, str] | None = None) -> str:
    attrs = (f' class="{escape(cls)}"' if cls else "") + (f' id="{escape(ident)}"' if ident else "")
    attrs += "".join(f' data-{escape(k)}="{escape(v)}"' for k, v in (data or {}).items())
    return f"<p{attrs}>{escape(text)}</p>"
