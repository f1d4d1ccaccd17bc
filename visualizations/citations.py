"""One way to name a source: the document's short name and the clause, the quote beside it.

Every fact in data/ cites the seed file it comes from ("002_5b6d36cec4e37cac.txt"), a locator
("二(二)") and a quote. A reader knows the documents by their number or author, not by the file:
`short(citation)` gives "杭政办函〔2022〕70号 二(二)"; the quote goes to a tooltip (HTML) or a
note (PDF, terminal). Used by the report, the diagrams' tooltips and the CLI tables.

>>> short({"source": "002_5b6d36cec4e37cac.txt", "locator": "二(二)", "quote": "民政"})
'杭政办函〔2022〕70号 二(二)'
>>> short({"source": "001_6450fddc9f5ed277.txt", "locator": "表3"}, "en")
'Hu & Wang (2022) 表3'
>>> short({"assumption": True, "note": "no number in the documents"})
'假设 assumption'
"""

from __future__ import annotations

from typing import Any

# The five source documents (/work/shared/seeds/README.md), as their readers cite them:
# the issuing number for the government measure, author and year for the papers.
DOCUMENTS: dict[str, tuple[str, str]] = {
    "000_586b74c66e3f8451.txt": ("王(2024)杭州医保反贫困机制研究", "Wang (2024), Hangzhou study"),
    "001_6450fddc9f5ed277.txt": ("胡宏伟、王红波(2022)", "Hu & Wang (2022)"),
    "002_5b6d36cec4e37cac.txt": ("杭政办函〔2022〕70号", "杭政办函〔2022〕70号"),
    "003_5bfefaf0f37ff655.txt": ("《新时代医疗救助制度的转型发展》(2023)",
                                 "Transformation of medical assistance (2023)"),
    "004_6814364df8006cb0.txt": ("《三精准四方联动医疗保障扶贫模式》(灵丘)",
                                 "Three precisions, four-party linkage (Lingqiu)"),
}


def document(source: str | None, lang: str = "zh") -> str:
    """The short name of a source file; an unknown file keeps its own name.

    >>> document("004_6814364df8006cb0.txt", "en")
    'Three precisions, four-party linkage (Lingqiu)'
    """
    if not source:
        return ""
    names = DOCUMENTS.get(source)
    return (names[1] if lang == "en" else names[0]) if names else source


def short(citation: dict[str, Any] | None, lang: str = "zh") -> str:
    """Document short name and clause; an assumption says so."""
    if not citation:
        return ""
    text = f"{document(citation.get('source'), lang)} {citation.get('locator') or ''}".strip()
    if citation.get("assumption"):
        text = f"{text} · 假设 assumption" if text else "假设 assumption"
    return text


def full(citation: dict[str, Any] | None, lang: str = "zh") -> str:
    """The short form, then the quote and, for an assumption, its note: a tooltip or a note.

    >>> full({"source": "002_5b6d36cec4e37cac.txt", "locator": "一", "quote": "达到80%以上"})
    '杭政办函〔2022〕70号 一 「达到80%以上」'
    """
    if not citation:
        return ""
    text = short(citation, lang)
    if citation.get("quote"):
        text += f" 「{citation['quote']}」"
    if citation.get("assumption"):
        text += f" — {citation.get('note') or 'not stated in the source'}"
    if citation.get("contested_by"):  # the documents disagree: say with what
        text += f" — 有争议 contested: {citation['contested_by']}"
    return text


def is_citation(value: Any) -> bool:
    """Whether `value` is a citation object (a source with a quote or a locator)."""
    return isinstance(value, dict) and "source" in value and ("quote" in value
                                                              or "locator" in value)


def with_short(data: Any) -> Any:
    """`data` with each citation in it given `cite`, its short form: how the CLI's JSON and
    the API show citations.

    >>> with_short([{"source": "002_5b6d36cec4e37cac.txt", "locator": "二(二)"}])[0]["cite"]
    '杭政办函〔2022〕70号 二(二)'
    """
    if is_citation(data):
        return {**{k: with_short(v) for k, v in data.items()}, "cite": short(data)}
    if isinstance(data, dict):
        return {k: with_short(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [with_short(v) for v in data]
    return data
