"""Colours, line styles, names and tooltips shared by the HTML and the static renderings.

A node's `kind` is its agency kind (government, insurer, ...) for agencies and its label for
everything else, so that a reader tells a payer from a fund from a scheme at a glance. A
relationship type keeps one colour and one dash pattern in every view and both renderings.

>>> KINDS["government"].en
'government body'
>>> EDGES["SUPERVISES"].dash_mpl
(0, (1.5, 1.5))
>>> label({"name_zh": "民政局", "name_en": "Civil Affairs"}, "en")
'Civil Affairs'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medgraph.visualizations import citations

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Kind:
    colour: str
    zh: str
    en: str


@dataclass(frozen=True)
class EdgeStyle:
    colour: str
    dash_mpl: Any  # matplotlib linestyle
    dash_vis: Any  # vis-network `dashes`: false or a dash array in pixels
    zh: str
    en: str


# Colour-blind-safe hues (Okabe-Ito and a few tints); one per kind of body or thing.
KINDS: dict[str, Kind] = {
    "government": Kind("#9ecae1", "政府部门", "government body"),
    "mass_organisation": Kind("#fdd0a2", "群团组织", "mass organisation"),
    "social_organisation": Kind("#fdae6b", "社会组织", "social organisation"),
    "insurer": Kind("#c7b3e5", "保险公司", "insurer"),
    "medical_institution": Kind("#a1d99b", "医疗机构", "medical institution"),
    "village_committee": Kind("#d9ef8b", "村委会", "village committee"),
    "resident": Kind("#f4cae4", "居民", "residents"),
    "jurisdiction": Kind("#e0e0e0", "行政区域", "jurisdiction"),
    "fund": Kind("#ffe066", "基金 / 资金", "fund"),
    "scheme": Kind("#74c476", "保障制度", "scheme"),
    "category": Kind("#fcbba1", "救助对象类别", "beneficiary category"),
    "information_system": Kind("#6baed6", "信息系统", "information system"),
    "measure": Kind("#dadaeb", "措施", "measure"),
    "indicator": Kind("#c6dbef", "指标", "indicator"),
    "case": Kind("#fb6a4a", "病例", "medical case"),
    "person": Kind("#fc9272", "个人", "person"),
    "group": Kind("#ffffff", "合并节点", "aggregated group"),
    "other": Kind("#f0f0f0", "其他", "other"),
}

_LABEL_KINDS = {
    "Jurisdiction": "jurisdiction", "Fund": "fund", "Scheme": "scheme",
    "BeneficiaryCategory": "category", "InformationSystem": "information_system",
    "Measure": "measure", "Indicator": "indicator", "Case": "case", "Person": "person",
    "Household": "person",
}

_D = (0, (5, 2.5))
EDGES: dict[str, EdgeStyle] = {
    "REPORTS_TO": EdgeStyle("#08519c", "solid", False, "对其负责", "reports to"),
    "COORDINATES_WITH": EdgeStyle("#6a51a3", (0, (6, 3)), [8, 5], "横向协调",
                                  "coordinates with"),
    "FUNDS": EdgeStyle("#b8860b", "solid", False, "出资 / 拨款", "funds"),
    "COLLECTS": EdgeStyle("#8c6d31", _D, [7, 4], "征缴", "collects"),
    "TRANSFERS_TO": EdgeStyle("#d95f0e", (0, (8, 2, 2, 2)), [10, 3, 3, 3], "转移支付",
                              "transfer payment"),
    "PAYS": EdgeStyle("#238b45", "solid", False, "支付 / 偿付", "pays"),
    "SETTLED_BY": EdgeStyle("#005a32", "solid", False, "结算金额", "paid on the case"),
    "CERTIFIES": EdgeStyle("#cb181d", (0, (3, 2)), [4, 3], "身份认定", "certifies"),
    "APPROVES": EdgeStyle("#ef3b2c", (0, (3, 2, 1, 2)), [4, 3, 1, 3], "审批", "approves"),
    "HOLDS": EdgeStyle("#a50f15", (0, (1, 2)), [2, 3], "持证", "holds"),
    "SUPERVISES": EdgeStyle("#525252", (0, (1.5, 1.5)), [2, 2], "监管", "supervises"),
    "SERVES": EdgeStyle("#41ab5d", (0, (6, 2, 1, 2)), [8, 3, 2, 3], "提供服务", "serves"),
    "SHARES_DATA": EdgeStyle("#2171b5", "solid", False, "数据共享", "shares data"),
    "OPERATES": EdgeStyle("#084594", _D, [7, 4], "运营", "operates"),
    "USES": EdgeStyle("#6baed6", (0, (2, 2)), [3, 3], "使用", "uses"),
    "ADMINISTERS": EdgeStyle("#00441b", (0, (4, 1.5)), [6, 2], "经办管理", "administers"),
    "MANAGES": EdgeStyle("#00441b", (0, (4, 1.5)), [6, 2], "管理", "manages"),
    "MONITORS": EdgeStyle("#756bb1", (0, (1, 1)), [2, 2], "监测", "monitors"),
    "RESPONSIBLE_FOR": EdgeStyle("#636363", "solid", False, "负责", "responsible for"),
}
OTHER_EDGE = EdgeStyle("#969696", "solid", False, "其他关系", "other relation")

# How a highlighted node is marked (data-sharing view): border colour and legend text.
HIGHLIGHTS: dict[str, tuple[str, str, str]] = {
    "island": ("#e6550d", "信息孤岛", "information island (cut off from the main network)"),
    "articulation": ("#d62728", "单点故障", "single point of failure (articulation point)"),
}

TITLES: dict[str, tuple[str, str]] = {
    "coordination": ("医疗保障体系协同机制网状图", "coordination network"),
    "mechanism": ("医保反贫困机制图", "anti-poverty mechanism of medical insurance"),
    "case": ("病例问责图", "accountability of one case"),
    "data-sharing": ("信息共享与信息孤岛", "data sharing and information islands"),
    "funding": ("资金流向", "money flows"),
    "responsibility": ("部门职责矩阵", "responsibility matrix"),
}


def node_kind(label: str | None, props: dict[str, Any]) -> str:
    """The colour group of a node.

    >>> node_kind("Agency", {"kind": "insurer"}), node_kind("Fund", {})
    ('insurer', 'fund')
    """
    if label == "Agency":
        return props.get("kind") if props.get("kind") in KINDS else "other"
    return _LABEL_KINDS.get(label or "", "other")


def edge_style(rel_type: str) -> EdgeStyle:
    return EDGES.get(rel_type, OTHER_EDGE)


def label(attrs: dict[str, Any], lang: str = "zh") -> str:
    """The text shown on a node or an edge: Chinese, or English when asked and known."""
    if lang == "en" and attrs.get("name_en"):
        return str(attrs["name_en"])
    return str(attrs.get("name_zh") or attrs.get("name_en") or attrs.get("id") or "")


def citation_lines(citation: dict[str, Any] | None) -> list[str]:
    """Where a statement comes from, as lines of a tooltip: document and clause, the quote.

    >>> citation_lines({"source": "002_5b6d36cec4e37cac.txt", "locator": "二(二)", "quote": "民政"})
    ['来源 source: 杭政办函〔2022〕70号 二(二)', '「民政」']
    """
    if not citation or not citation.get("source"):
        return []
    short = citations.short({k: v for k, v in citation.items() if k != "assumption"})
    lines = [f"来源 source: {short}"]
    if citation.get("quote"):
        lines.append(f"「{citation['quote']}」")
    if citation.get("assumption"):
        lines.append(f"假设 assumption: {citation.get('note') or 'not stated in the source'}")
    if citation.get("contested_by"):  # another passage says otherwise (queries/conflicts.cypher)
        lines.append(f"有争议 contested: {citation['contested_by']}")
    return lines


def tooltip(attrs: dict[str, Any], lang: str = "zh") -> str:
    """Plain-text tooltip: both names, the id, details, then each citation.

    Plain text on purpose: the HTML page turns it into text nodes, so a quote can never
    inject markup.
    """
    other = "en" if lang == "zh" else "zh"
    lines = [label(attrs, lang)]
    alt = attrs.get(f"name_{other}")
    if alt and alt != lines[0]:
        lines.append(str(alt))
    if attrs.get("id"):
        lines.append(f"id: {attrs['id']}")
    lines += [str(d) for d in attrs.get("details") or []]
    for cited in attrs.get("citations") or []:
        lines += citation_lines(cited)
    return "\n".join(lines)
