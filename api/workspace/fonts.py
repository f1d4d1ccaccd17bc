"""The workspace's Chinese font: a subset of Noto Sans CJK SC, shipped in static/fonts/.

The pages must read correctly offline on any machine, so they do not count on a Chinese font
being installed. A whole CJK font is about 20 MB; the subset holds the characters the
workspace and the models use (every character in data/, queries/ and the pages' own text)
and the 3,755 characters of GB 2312's first level, the common ones, which covers the names
of agencies, schemes and places an analyst types. A character outside it falls back to
the system's fonts (workspace.css lists them after the shipped one).

The font is licensed under the SIL Open Font License 1.1 (static/fonts/OFL.txt); its
Reserved Font Name is "Source", which the subset does not use. It was made with:

    python -m medgraph.api.workspace.fonts /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

(fontTools, a dependency of matplotlib). Run it again when data/ gains characters.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "static" / "fonts" / "medgraph-cjk-sans.woff"
FAMILY = "Noto Sans CJK SC"


def gb2312_level1() -> str:
    """The 3,755 common characters of GB 2312 (rows 16 to 55)."""
    chars = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def used_text() -> str:
    """Every character of the models, the named queries and the workspace's own text."""
    files = [*sorted((ROOT / "data").rglob("*.yaml")), *sorted((ROOT / "queries").glob("*")),
             *sorted((HERE / "static").glob("*.js")), HERE / "pages.py"]
    return "".join(path.read_text("utf-8") for path in files if path.is_file())


def subset(source: Path, out: Path = OUT) -> int:
    """Write the subset of `source` (a .ttc or .otf holding Noto Sans CJK SC) to `out`."""
    from fontTools import subset as fts
    from fontTools.ttLib import TTCollection, TTFont

    if source.suffix.lower() == ".ttc":
        fonts = TTCollection(str(source)).fonts
        font = next(f for f in fonts if f["name"].getDebugName(1) == FAMILY)
    else:
        font = TTFont(str(source))
    text = set(used_text() + gb2312_level1()) | {chr(c) for c in range(0x20, 0x7F)}
    text |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    options = fts.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = fts.Subsetter(options)
    subsetter.populate(text="".join(sorted(c for c in text if c.isprintable())))
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff"
    font.save(str(out))
    return len(font.getGlyphOrder())


if __name__ == "__main__":
    glyphs = subset(Path(sys.argv[1]))
    print(f"{OUT.relative_to(ROOT)}: {glyphs} glyphs, {OUT.stat().st_size / 1e6:.1f} MB")
