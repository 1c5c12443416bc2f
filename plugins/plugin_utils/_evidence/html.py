# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-contained HTML change report: inline CSS and SVG charts, no scripts, no external assets."""

from __future__ import annotations

from html import escape

from .report import group_changes

URGENT_ROWS = 20  # pending updates listed in the HTML compliance overview (all are in the JSON and CSV)
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2")
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1f2937;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #e5e7eb;padding-bottom:.3rem}
.muted{color:#6b7280}.tiles{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.tile{border:1px solid #e5e7eb;border-radius:.5rem;padding:.7rem 1rem;min-width:8rem}
.tile b{display:block;font-size:1.5rem}.ok{color:#16a34a}.bad{color:#dc2626}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #f3f4f6}
th{background:#f9fafb}.charts{display:flex;gap:2rem;flex-wrap:wrap}.chart{flex:1 1 20rem}
code{font-size:.85em}
"""


def render(report, title="everylayer.patch change evidence") -> str:
    totals = report["totals"]
    ver = report.get("verification") or {}
    rate = totals["success_rate"]
    success = {layer: value * 100 for layer, value in report["success_per_layer"].items()}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">Generated {escape(report["generated"])} from {len(report["runs"])} run(s).</p>',
        '<section id="verification">',
        f'<p class="{"ok" if ver.get("ok") else "bad"}" id="chain-status">{escape(ver.get("summary") or "chain not verified")}</p>',
        "</section>",
        _compliance(report.get("compliance")),
        _waves(report),
        '<div class="tiles">',
        _tile("Changes", totals["changes"], "tile-changes"),
        _tile("Succeeded", totals["succeeded"], "tile-succeeded"),
        _tile("Failed", totals["failed"], "tile-failed"),
        _tile("Rollbacks", totals["rollbacks"], "tile-rollbacks"),
        _tile("Hosts", totals["hosts"], "tile-hosts"),
        _tile("Success rate", "-" if rate is None else f"{rate * 100:.1f}%", "tile-success-rate"),
        _tile("Planned (check mode)", totals.get("simulated", 0), "tile-planned"),
        "</div>",
        '<div class="charts">',
        f'<div class="chart"><h3>Changes per layer</h3>{bar_chart(report["per_layer"], "chart-layers")}</div>',
        f'<div class="chart"><h3>Changes per host</h3>{bar_chart(report["per_host"], "chart-hosts")}</div>',
        f'<div class="chart"><h3>Success rate per layer</h3>{bar_chart(success, "chart-success", unit="%", maximum=100)}</div>',
        "</div>",
        _interrupted(report),
        _time_to_patch(report["time_to_patch"]),
        "<h2>Changes per layer and host</h2>",
        _changes(report),
        "<h2>Failures</h2>",
        _table(report["failures"], ("recorded_at", "host", "kind", "task", "msg"), "failures"),
        "<h2>Rollbacks</h2>",
        _table(
            report["rollbacks"], ("recorded_at", "status", "host", "layer", "component", "before", "after"), "rollbacks"
        ),
        "<h2>Wave decisions</h2>",
        _table(
            [dict(d, decision=_fmt(d["decision"])) for d in report["decisions"]],
            ("recorded_at", "task", "decision"),
            "decisions",
        ),
        "<h2>Runs</h2>",
        _table(
            report["runs"],
            (
                "started",
                "run_id",
                "user",
                "controller",
                "playbook",
                "commit",
                "change_ticket",
                "approver",
                "awx_job_id",
                "check_mode",
            ),
            "runs",
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def bar_chart(values: dict, chart_id: str, unit="", maximum=None) -> str:
    """Horizontal bars as inline SVG, one row per key."""
    if not values:
        return f'<p class="muted" id="{chart_id}">no data</p>'
    row, label_w, bar_w = 22, 140, 260
    top = maximum or max(values.values()) or 1
    height = row * len(values) + 6
    out = [
        f'<svg id="{chart_id}" role="img" xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}">'
    ]
    for idx, (key, value) in enumerate(values.items()):
        y = idx * row + 3
        width = max(1, int(bar_w * float(value) / top))
        colour = PALETTE[idx % len(PALETTE)]
        out.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(str(key))[:24]}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{y}" width="{width}" height="{row - 6}" fill="{colour}"><title>{escape(str(key))}: {value:g}{unit}</title></rect>'
        )
        out.append(f'<text x="{label_w + width + 4}" y="{y + 14}" font-size="12">{value:g}{unit}</text>')
    out.append("</svg>")
    return "".join(out)


def _time_to_patch(ttp) -> str:
    if not ttp["items"]:
        return '<h2>Time to patch</h2><p class="muted" id="time-to-patch">no component was seen pending before it was patched</p>'
    buckets = {"< 1 h": 0, "1-24 h": 0, "1-7 d": 0, "> 7 d": 0}
    for item in ttp["items"]:
        hours = item["hours"]
        key = "< 1 h" if hours < 1 else "1-24 h" if hours < 24 else "1-7 d" if hours < 168 else "> 7 d"
        buckets[key] += 1
    return (
        '<h2>Time to patch</h2><p id="time-to-patch">'
        f"median {ttp['median_hours']:.2f} h, longest {ttp['max_hours']:.2f} h, over {len(ttp['items'])} patched component(s) "
        "(first seen pending to patched)</p>" + bar_chart(buckets, "chart-ttp")
    )


def _changes(report) -> str:
    grouped = group_changes(report)
    if not grouped:
        return '<p class="muted" id="changes">no changes recorded</p>'
    out = ['<div id="changes">']
    for layer in sorted(grouped):
        out.append(f"<h3>Layer {escape(layer)}</h3>")
        for host in sorted(grouped[layer]):
            out.append(f"<h4>{escape(host)}</h4>")
            out.append(
                _table(
                    grouped[layer][host],
                    ("recorded_at", "status", "component", "before", "after", "severity", "advisories"),
                    None,
                )
            )
    out.append("</div>")
    return "".join(out)


def _compliance(overview) -> str:
    """Governance's compliance overview (docs/governance.md), first on the page when the report carries one."""
    if not overview:
        return ""
    summary = overview["summary"]
    rate = summary["compliance_rate"]
    counts = summary["counts"]
    rows = [dict(r, overdue=sum(r["overdue_by_tier"].values()), pending=len(r["items"])) for r in overview["assets"]]
    rem = overview["remediation"]
    return "\n".join(
        [
            '<section id="compliance">',
            f"<h2>Compliance as of {escape(overview['as_of'])}</h2>",
            '<div class="tiles">',
            _tile("Compliance rate", "-" if rate is None else f"{rate * 100:.1f}%", "compliance-rate"),
            *(_tile(state.replace("_", " ").capitalize(), counts[state], f"compliance-{state}") for state in counts),
            _tile("KEV exposure", summary["kev_exposure"], "compliance-kev"),
            _tile(
                "SLA attainment",
                "-" if rem["sla_attainment"] is None else f"{rem['sla_attainment'] * 100:.1f}%",
                "compliance-sla",
            ),
            "</div>",
            '<div class="charts">',
            f'<div class="chart"><h3>Overdue by tier</h3>{bar_chart(summary["overdue_by_tier"], "chart-overdue")}</div>',
            '<div class="chart"><h3>Compliance rate per scan day</h3>'
            + bar_chart(
                {p["date"]: (p["compliance_rate"] or 0) * 100 for p in overview.get("trend") or []},
                "chart-trend",
                unit="%",
                maximum=100,
            )
            + "</div>",
            "</div>",
            _sources(overview.get("sources")),
            "<h3>Per layer</h3>",
            _table(
                [
                    dict(v["counts"], layer=k, total=v["total"], compliance_rate=v["compliance_rate"])
                    for k, v in (summary.get("per_layer") or {}).items()
                ],
                ("layer", "total", "compliance_rate", "compliant", "due_soon", "overdue", "excepted", "unknown"),
                "compliance-layers",
            ),
            "<h3>Per host and layer</h3>",
            _table(rows, ("host", "layer", "state", "last_scan", "pending", "overdue"), "compliance-assets"),
            "<h3>Deployments per wave (one outcome per host and run)</h3>",
            _table(
                [dict(v, wave=k) for k, v in overview["deployments"]["per_wave"].items()],
                ("wave", "hosts", "succeeded", "failed", "rolled_back", "success_rate"),
                "compliance-waves",
            ),
            "<h3>Time to remediate per severity (days)</h3>",
            _table(
                [dict(v, severity=k) for k, v in rem["per_severity"].items()],
                ("severity", "count", "mean_days", "p90_days"),
                "compliance-ttr",
            ),
            "<h3>Time to remediate per severity, from the advisory's publication (days)</h3>",
            _table(
                [dict(v, severity=k) for k, v in (rem.get("from_published") or {}).items()],
                ("severity", "count", "mean_days", "p90_days"),
                "compliance-ttr-published",
            ),
            "<h3>Exceptions expiring soon</h3>",
            _table(
                overview.get("exceptions_expiring") or [],
                ("id", "owner", "expires", "days_left"),
                "compliance-expiring",
            ),
            _urgent(overview),
            "</section>",
        ]
    )


def _waves(report) -> str:
    """Per wave: outcome (one per host and run, with a compliance overview), gate and approvals."""
    waves = report.get("waves") or {}
    rows = []
    for wave, info in waves.items():
        outcome = info.get("outcome") or {}
        gates = info.get("gates") or []
        rows.append(
            {
                "wave": wave,
                "succeeded": outcome.get("succeeded"),
                "failed": outcome.get("failed"),
                "rolled_back": outcome.get("rolled_back"),
                "gate": " ".join(_gate(g) for g in gates) or None,
                "approved_by": " ".join(
                    f"{a.get('approver')} ({a.get('change_id') or 'no change id'})" for a in info.get("approvals") or []
                )
                or None,
            }
        )
    return "\n".join(
        [
            "<h2>Waves</h2>",
            _table(rows, ("wave", "succeeded", "failed", "rolled_back", "gate", "approved_by"), "waves"),
            "<h3>Approvals</h3>",
            _table(
                report.get("approvals") or [],
                ("recorded_at", "run_id", "wave", "approver", "change_id", "approved_at", "source"),
                "approvals",
            ),
        ]
    )


def _urgent(overview) -> str:
    """The most urgent pending updates (all of them are in the JSON and the compliance CSV)."""
    items = sorted(
        ({**i, "host": r["host"]} for r in overview["assets"] for i in r["items"]),
        key=lambda i: (i["tier"], i["deadline"], str(i["host"]), str(i["component"])),
    )
    shown = items[:URGENT_ROWS]
    more = len(items) - len(shown)
    note = (
        f'<p class="muted" id="compliance-items-more">{more} more in the JSON and the compliance CSV</p>'
        if more
        else ""
    )
    return (
        f"<h3>Pending updates, the {len(shown)} most urgent of {len(items)}</h3>"
        + _table(
            shown,
            ("host", "layer", "component", "tier", "status", "deadline", "severity", "cvss", "kev", "epss"),
            "compliance-items",
        )
        + note
    )


def _gate(gate) -> str:
    text = "passed" if gate.get("passed") else f"failed ({gate.get('reason')})"
    return f"{text} (planned: check mode)" if gate.get("planned_only") else text


def _sources(sources) -> str:
    """Which policy, exceptions and advisory data the overview was computed from (what an auditor asks first)."""
    if not sources:
        return ""
    text = ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in sources.items() if v not in (None, "", [], {}))
    return f'<p class="muted" id="compliance-sources">Computed from: {escape(text)}</p>'


def _interrupted(report) -> str:
    """Runs without their end and hosts in an unknown state, before anything else a reader might trust."""
    runs, hosts = report.get("interrupted_runs") or [], report.get("unknown_hosts") or []
    if not runs and not hosts:
        return ""
    return "\n".join(
        [
            '<section id="interrupted">',
            '<h2 class="bad">Interrupted runs and hosts in an unknown state</h2>',
            '<p class="bad">These runs have no run_end record; these hosts started a patch task that never reported '
            "an outcome. Their state is what a later scan found (reconciled_by), or unknown.</p>",
            _table(runs, ("started", "run_id", "settled"), "interrupted-runs"),
            _table(
                [dict(h, changed_outside=_fmt(h.get("changed_outside"))) for h in hosts],
                ("recorded_at", "run_id", "host", "task", "reconciled_by", "changed_outside"),
                "unknown-hosts",
            ),
            "</section>",
        ]
    )


def _table(rows, columns, table_id) -> str:
    ident = f' id="{table_id}"' if table_id else ""
    if not rows:
        return f'<p class="muted"{ident}>none</p>'
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_fmt(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tile(label, value, ident) -> str:
    return f'<div class="tile" id="{ident}"><b>{escape(str(value))}</b>{escape(label)}</div>'


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return " ".join(_fmt(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    return str(value)
