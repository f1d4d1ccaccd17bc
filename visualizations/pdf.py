"""PDF through headless Chromium: the report and single diagrams, as printed from a browser.

The HTML is printed as it is with its print style sheet (page breaks, page numbers in the
@page margin boxes, the citations as numbered endnotes), so the PDF and the page say the same
thing and Chinese is set in the system's CJK font exactly as on screen. The browser is
Debian's `chromium` (`make browser`), the one the tests drive; MEDGRAPH_CHROMIUM names
another.

A diagram goes on the smallest paper that shows its smallest text at 7 pt or more: A4, then
A3, portrait or landscape as the picture is tall or wide (`paper`).
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MIN_PT = 7.0  # the smallest text size that reads in print
MM = 25.4  # per inch
# Printable area (mm) of each paper in portrait, after the report's margins (14 mm at the
# sides, 16 mm top, 18 mm bottom) and a line for the caption.
PAPERS = {"A4": (210.0 - 28.0, 297.0 - 34.0 - 10.0), "A3": (297.0 - 28.0, 420.0 - 34.0 - 10.0)}


class BrowserMissing(RuntimeError):
    """No headless Chromium to print with."""


@dataclass(frozen=True)
class Paper:
    size: str  # A4 | A3
    landscape: bool
    scale: float  # printed size ÷ drawn size

    @property
    def name(self) -> str:
        """The CSS @page name, e.g. a3-landscape."""
        return f"{self.size.lower()}-{'landscape' if self.landscape else 'portrait'}"

    @property
    def css(self) -> str:
        return f"{self.size} {'landscape' if self.landscape else 'portrait'}"


def paper(width_in: float, height_in: float, smallest_pt: float) -> Paper:
    """The smallest paper on which a drawing of this size keeps its smallest text ≥ 7 pt.

    A drawing is never enlarged. When even A3 would shrink it below 7 pt, A3 it is, and the
    caller should split the drawing (the responsibility matrix is split by columns).

    >>> paper(6, 9, 8).name, paper(11, 6, 8).name
    ('a4-portrait', 'a4-landscape')
    >>> p = paper(20, 12, 8); p.name, round(p.scale, 2)
    ('a3-landscape', 0.88)
    """
    w_mm, h_mm = width_in * MM, height_in * MM
    best = None
    for size in ("A4", "A3"):
        short, long = PAPERS[size]
        for landscape in (width_in > height_in, width_in <= height_in):
            pw, ph = (long, short) if landscape else (short, long)
            scale = min(1.0, pw / w_mm, ph / h_mm)
            candidate = Paper(size, landscape, scale)
            if scale * smallest_pt >= MIN_PT - 1e-9:
                return candidate
            if best is None or scale > best.scale:
                best = candidate
    assert best is not None
    return best


def chromium() -> str:
    found = (os.environ.get("MEDGRAPH_CHROMIUM") or shutil.which("chromium")
             or shutil.which("chromium-browser"))
    if not found or not Path(found).exists():
        raise BrowserMissing(
            "PDF needs headless Chromium; install Debian's chromium (apt-get install chromium, "
            "or `make browser`) or set MEDGRAPH_CHROMIUM to a Chromium binary")
    return found


def print_pdf(page: str, timeout: float = 300.0) -> bytes:
    """An HTML page (with everything inline) printed to PDF by headless Chromium."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="medgraph-pdf-") as folder:
        source, target = Path(folder, "page.html"), Path(folder, "page.pdf")
        source.write_text(page, encoding="utf-8")
        command = [binary, "--headless", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-extensions",
                   f"--user-data-dir={Path(folder, 'profile')}", "--no-pdf-header-footer",
                   "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
                   f"--print-to-pdf={target}", source.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"chromium did not print the PDF in {timeout:.0f} s") from None
        if not target.exists() or target.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"chromium printed no PDF (exit {done.returncode}): {last}")
        return target.read_bytes()


def figure_pages(figures: list[tuple[bytes, float, float]], title: str,
                 smallest_pt: float) -> str:
    """Diagrams (SVG, width and height in inches) as a printable page each: each on its
    paper, at its scale, never enlarged."""
    styles, bodies = [], []
    for i, (svg, width_in, height_in) in enumerate(figures):
        chosen = paper(width_in, height_in, smallest_pt)
        text = svg.decode("utf-8")
        text = text[text.index("<svg"):]
        styles.append(f"@page {chosen.name} {{ size: {chosen.css}; }} "
                      f"#f{i} {{ page: {chosen.name}; }} #f{i} svg {{ "
                      f"width: {width_in * MM * chosen.scale:.1f}mm; "
                      f"height: {height_in * MM * chosen.scale:.1f}mm; }}")
        bodies.append(f'<div class="figure" id="f{i}">{text}</div>')
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title><style>"
            "@page { margin: 16mm 14mm 18mm; } "
            "body { margin: 0; font-family: 'Noto Sans CJK SC', sans-serif; } "
            "div.figure { break-before: page; } div.figure:first-child { break-before: auto; }"
            " svg { display: block; margin: 0 auto; } "
            f"{' '.join(styles)}</style></head><body>{''.join(bodies)}</body></html>")
