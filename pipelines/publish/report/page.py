"""The page around the sections: head with inline CSS, summary box, navigation and the file's tables."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.publish.report.markup import Finding, Section, esc, findings_list

CSS = """
:root{--ink:#1f2933;--muted:#667085;--line:#d9dee5;--bad:#b42318;--bad-bg:#fef3f2;--good:#067647;
--good-bg:#ecfdf3;--info:#175cd3;--info-bg:#eff8ff;--panel:#f8fafc}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:1.5rem 2rem 4rem}
h1{font-size:1.7rem;margin:.2rem 0}h2{font-size:1.3rem;margin:0 0 .6rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.meta,.muted,.note{color:var(--muted)}.meta{margin:0 0 1.2rem;font-size:.9rem}
.note{font-style:italic}
nav{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.8rem 0 1.5rem;font-size:.9rem}
a{color:var(--info)}
.summary{border:2px solid var(--ink);border-radius:10px;padding:1rem 1.4rem;margin-bottom:2rem;background:var(--panel)}
.summary h2{margin-bottom:.2rem}.summary h3{margin:.7rem 0 .1rem;font-size:.95rem}
section{border-top:1px solid var(--line);padding:1.6rem 0 .6rem}
ul.findings{list-style:none;padding:0;margin:.3rem 0 1rem}
ul.findings li{padding:.35rem .7rem;margin:.25rem 0;border-left:4px solid var(--info);background:var(--info-bg);
border-radius:0 6px 6px 0}
ul.findings li.bad{border-color:var(--bad);background:var(--bad-bg)}
ul.findings li.good{border-color:var(--good);background:var(--good-bg)}
.tiles{display:flex;flex-wrap:wrap;gap:.7rem;margin:.8rem 0}
.tile{border:1px solid var(--line);border-radius:8px;padding:.5rem .9rem;min-width:9rem;background:#fff}
.tile b{display:block;font-size:1.35rem}.tile span{color:var(--muted);font-size:.85rem}
.tile.bad b{color:var(--bad)}.tile.good b{color:var(--good)}
.charts{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start;margin:.6rem 0}
figure.chart{margin:0;padding:.6rem .8rem;border:1px solid var(--line);border-radius:8px;max-width:100%;background:#fff;
box-sizing:border-box;overflow-x:auto}
figure.chart figcaption{font-weight:600;margin-bottom:.3rem}
/* a chart keeps its size and scrolls on a narrow screen: shrunk to fit a phone its labels were 3 px high */
svg.chart{display:block;max-width:none}
svg.chart .grid{stroke:#e7eaee}svg.chart .axis{stroke:#888}
svg.chart .tick,svg.chart .value{fill:#555;font-size:11px}svg.chart .axis-title{fill:#333;font-weight:600}
svg.chart .line{stroke-width:2.2}
.scroll{overflow-x:auto}
/* a long unbroken value (a URL, an id) wraps instead of widening the page; a table keeps its words and
   numbers whole and scrolls sideways instead (anywhere in a cell squeezed "481" into "48/1") */
h1,h2,h3,p,li,figcaption,.tile,.meta{overflow-wrap:anywhere}td{max-width:26rem;overflow-wrap:break-word}
th{white-space:nowrap}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
td,th{border-bottom:1px solid var(--line);padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
.pill{display:inline-block;padding:0 .5rem;border-radius:99px;font-size:.8rem;font-weight:600}
.pill.bad{color:#fff;background:var(--bad)}.pill.good{color:#fff;background:var(--good)}
details summary{cursor:pointer;white-space:nowrap}details pre{max-width:30rem;white-space:pre-wrap;font-size:.75rem;margin:.2rem 0}
@media print{section{break-inside:avoid-page}nav{display:none}}
"""


def _headlines(findings: Sequence[Finding]) -> list[Finding]:
    flagged = [f for f in findings if f.headline]
    return flagged or list(findings[:1])


def summary(sections: Sequence[Section]) -> str:
    parts = ['<div class="summary" id="summary"><h2>Summary</h2>']
    for item in sections:
        parts.append(f'<h3><a href="#{esc(item.anchor)}">{esc(item.title)}</a></h3>')
        parts.append(findings_list(_headlines(item.findings)))
    return "".join(parts) + "</div>"


def tables_appendix(rows: Sequence[tuple[str, int, str]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{esc(name)}</td><td>{count:,}</td><td>{esc(means)}</td></tr>" for name, count, means in rows
    )
    return (
        '<section id="tables"><details><summary><b>Tables in the analyst file</b></summary>'
        '<div class="scroll"><table><thead><tr><th>table</th><th>rows</th><th>one row means</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div></details></section>"
    )


def render(sections: Sequence[Section], *, subtitle: str, appendix: str) -> str:
    nav = "".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{findings_list(s.findings)}{s.body}</section>'
        for s in sections
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>cx-unify diagnostic</title><style>{CSS}</style></head>\n"
        f'<body><main><h1>Customer experience diagnostic</h1><p class="meta">{esc(subtitle)}</p>'
        f"<nav>{nav}</nav>{summary(sections)}{body}{appendix}</main></body></html>\n"
    )
