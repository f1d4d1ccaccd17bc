"""The report's reconciliation part: what payers paid against what the rules entitle.

Shown only for a model whose schemes have observed payments in the store (`medgraph load
payments`): the summary per payer and per scheme, the number of findings of each kind, and
the most serious findings with their citations (docs/findings.md, "Reconciliation").
"""

from __future__ import annotations

import html
from typing import Any

# The kinds in the order a reader acts on them, with their names in both languages.
KIND_NAMES = {
    "duplicate_aid": ("重复救助", "Duplicate aid"),
    "excess_payment": ("超额支付", "Paid beyond the bill"),
    "excess_over_scope": ("超政策范围支付", "Paid beyond the policy scope"),
    "missed_aid": ("应救未救", "Entitled aid not paid"),
    "ineligible_payment": ("不符合条件的支付", "Paid without certificate or enrolment"),
    "overpayment": ("多付", "Paid above the rule"),
    "underpayment": ("少付", "Paid below the rule"),
}
SHOWN = 10  # findings shown per kind; `medgraph reconcile` lists them all


def _models_with_payments(store: Any, models: list[str]) -> list[str]:
    return [m for m in models if store.read(
        "MATCH (p:Payment) WHERE p.scheme_id STARTS WITH $prefix RETURN p.id AS id LIMIT 1",
        {"prefix": f"{m}."})]


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{row[key]:,.2f}</td>' if isinstance(row[key], float)
        else f"<td>{html.escape(str(row[key] if row[key] is not None else '—'))}</td>"
        for key, _ in columns) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def reconciliation_part(store: Any, models: list[str], year: int | None, t: Any,
                        cites: Any) -> list[str]:
    """The HTML of the part, or nothing when no model has observed payments."""
    from medgraph.analysis.reconcile import reconcile

    shown = _models_with_payments(store, models)
    if not shown:
        return []
    out = [f"<h2>{t('支付核对', 'Reconciliation of payments')}</h2>",
           f"<p>{t('各支付方实际支付与规则应付对照(000 §4.2 重复救助、超额救助)。', 'What each payer paid against what the rules entitle (000 §4.2: duplicate and excess aid).')}</p>"]  # noqa: E501
    money = [("records", t("笔数", "records")), ("paid", t("实付", "paid")),
             ("entitled", t("应付", "entitled")), ("excess", t("超付", "excess")),
             ("missed", t("漏付", "missed"))]
    for model in shown:
        result = reconcile(store, model=model, year=year)
        out.append(f"<h3>{t('模型', 'Model')}: {html.escape(model)}</h3>")
        out.append(f"<h4>{t('按支付方', 'By payer')}</h4>")
        out.append(_table(result.by_payer, [("payer", t("支付方", "payer")), *money]))
        out.append(f"<h4>{t('按制度', 'By scheme')}</h4>")
        out.append(_table(result.by_scheme, [("scheme", t("制度", "scheme")),
                                             ("name_zh", t("名称", "name")), *money]))
        counts = result.facts["findings"]
        out.append(_table([{"kind": t(*KIND_NAMES[k]), "n": str(counts.get(k, 0))}
                           for k in KIND_NAMES], [("kind", t("类型", "kind")),
                                                  ("n", t("数量", "findings"))]))
        for kind, names in KIND_NAMES.items():
            found = [f for f in result.findings if f.kind == kind]
            if not found:
                continue
            found.sort(key=lambda f: (f.severity != "high", -(f.facts.get("excess") or
                                                               f.facts.get("amount") or
                                                               f.facts.get("difference") or 0)))
            rows = "".join(
                f"<tr><td>{html.escape(f.severity)}</td><td>{html.escape(f.explanation)}"
                f"</td><td>{html.escape(f.facts.get('payer_to_act') or '—')}</td>"
                f"<td>{cites.refs(f.citations)}</td></tr>" for f in found[:SHOWN])
            more = (f'<p class="muted">{len(found) - SHOWN:,} {t("项未列出", "more")}: '
                    "medgraph reconcile</p>" if len(found) > SHOWN else "")
            out.append(f"<h4>{t(*names)} <span class=\"muted\">({len(found):,})</span></h4>"
                       f"<table><tr><th>{t('严重程度', 'severity')}</th>"
                       f"<th>{t('说明', 'explanation')}</th><th>{t('应处理方', 'to act')}</th>"
                       f"<th>{t('出处', 'sources')}</th></tr>{rows}</table>{more}")
    return out
