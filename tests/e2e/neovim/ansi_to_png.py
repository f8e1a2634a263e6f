#!/usr/bin/env python3
"""Render a colored terminal capture (`tmux capture-pane -e`) to a PNG with
ImageMagick: SGR colors (16, 256 and 24-bit), bold and reverse, one
monospace cell per character. Usage: ansi_to_png.py SCREEN.ansi OUT.png
"""
import re
import subprocess
import sys
import tempfile
import unicodedata

FONT = "DejaVu-Sans-Mono"
BOLD_FONT = "DejaVu-Sans-Mono-Bold"
SIZE = 14
CELL_W = SIZE * 0.602  # DejaVu Sans Mono's advance is 0.602 em
CELL_H = 18
PAD = 10
DEFAULT_FG = (208, 208, 208)
DEFAULT_BG = (28, 28, 28)
BASE16 = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
          (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
          (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    v = 8 + (n - 232) * 10
    return v, v, v


def parse(text):
    """Lines of cells: (char, fg, bg, bold)."""
    fg, bg, bold, reverse = None, None, False, False
    lines = []
    for raw in text.split("\n"):
        cells = []
        pos = 0
        for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b])", raw):
            if m.group(2) is not None:
                f, b = fg or DEFAULT_FG, bg or DEFAULT_BG
                if reverse:
                    f, b = b, f
                cells.append((m.group(2), f, b, bold))
                if unicodedata.east_asian_width(m.group(2)) in ("W", "F"):
                    cells.append(("", f, b, bold))
                continue
            params = [int(p) if p else 0 for p in m.group(1).split(";")] if m.group(1) else [0]
            i = 0
            while i < len(params):
                p = params[i]
                if p == 0:
                    fg, bg, bold, reverse = None, None, False, False
                elif p == 1:
                    bold = True
                elif p == 22:
                    bold = False
                elif p == 7:
                    reverse = True
                elif p == 27:
                    reverse = False
                elif 30 <= p <= 37:
                    fg = BASE16[p - 30]
                elif 90 <= p <= 97:
                    fg = BASE16[p - 90 + 8]
                elif p == 39:
                    fg = None
                elif 40 <= p <= 47:
                    bg = BASE16[p - 40]
                elif 100 <= p <= 107:
                    bg = BASE16[p - 100 + 8]
                elif p == 49:
                    bg = None
                elif p in (38, 48) and i + 1 < len(params):
                    if params[i + 1] == 5 and i + 2 < len(params):
                        c = color256(params[i + 2])
                        i += 2
                    elif params[i + 1] == 2 and i + 4 < len(params):
                        c = tuple(params[i + 2:i + 5])
                        i += 4
                    else:
                        c = None
                    if p == 38:
                        fg = c
                    else:
                        bg = c
                i += 1
        lines.append(cells)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def hexc(c):
    return "#%02x%02x%02x" % c


def mvg_string(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("%", "%%") + "'"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    lines = parse(open(src, encoding="utf-8", errors="replace").read())
    cols = max((len(l) for l in lines), default=80)
    width = int(cols * CELL_W + 2 * PAD)
    height = int(len(lines) * CELL_H + 2 * PAD)
    out = ["viewbox 0 0 %d %d" % (width, height), "font-size %d" % SIZE,
           "fill %s" % hexc(DEFAULT_BG), "rectangle 0,0 %d,%d" % (width, height)]
    for row, cells in enumerate(lines):
        y0 = PAD + row * CELL_H
        # Backgrounds, merged into runs.
        col = 0
        while col < len(cells):
            bg = cells[col][2]
            end = col
            while end < len(cells) and cells[end][2] == bg:
                end += 1
            if bg != DEFAULT_BG:
                out.append("fill %s" % hexc(bg))
                out.append("rectangle %.1f,%d %.1f,%d" % (PAD + col * CELL_W, y0, PAD + end * CELL_W, y0 + CELL_H))
            col = end
        # Text, one run per (fg, bold), placed cell by cell for exact columns.
        col = 0
        while col < len(cells):
            fg, bold = cells[col][1], cells[col][3]
            end = col
            while end < len(cells) and cells[end][1] == fg and cells[end][3] == bold:
                end += 1
            text = "".join(c[0] for c in cells[col:end])
            if text.strip():
                out.append("font %s" % (BOLD_FONT if bold else FONT))
                out.append("fill %s" % hexc(fg))
                for k, ch in enumerate(cells[col:end]):
                    if ch[0].strip():
                        out.append("text %.1f,%d %s" % (PAD + (col + k) * CELL_W, y0 + CELL_H - 5, mvg_string(ch[0])))
            col = end
    with tempfile.NamedTemporaryFile("w", suffix=".mvg", delete=False, encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
        mvg = f.name
    subprocess.run(["convert", "-size", "%dx%d" % (width, height), "mvg:" + mvg, dst], check=True)


if __name__ == "__main__":
    main()
