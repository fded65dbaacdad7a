#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# check_report.py FILE [--source] - reads an `hvsim report` page (the file as written, or the DOM
# Chromium rendered from it) and prints one line per chart:
#   KIND <TAB> TITLE <TAB> data-marks <TAB> mark elements <TAB> visible marks
# (a visible mark: a rect with width and height > 0, or a path with at least two points).
# Exits 1, naming each problem on stderr, when the page is not well formed: a tag closed that was
# not open, or left open (void elements aside), or a chart whose mark elements differ from its
# data-marks. With --source it also requires what the written file promises: every <svg> parses
# as XML on its own (xml.etree), no <script>, and no reference to anything outside the page
# (src=, href=, url(, @import, http: or https: outside the SVG namespace).
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SVG_NS = "http://www.w3.org/2000/svg"


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []        # open elements (name, line)
        self.problems = []
        self.charts = []       # [kind, title, data_marks, elements, visible]
        self.chart_depth = None
        self.want_title = False
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.open(tag, dict(attrs), self_closing=False)

    def handle_startendtag(self, tag, attrs):
        self.open(tag, dict(attrs), self_closing=True)

    def open(self, tag, a, self_closing):
        if tag == "script":
            self.scripts += 1
        cls = (a.get("class") or "").split()
        if tag == "svg" and "chart" in cls:
            self.charts.append([a.get("data-chart", "?"), "", int(a.get("data-marks", "-1")), 0, 0])
            self.chart_depth = len(self.stack)
            self.want_title = True
        elif self.chart_depth is not None and "mark" in cls:
            self.count_mark(tag, a)
        if tag == "title" and self.want_title:
            self.want_title = "reading"
        if not self_closing and tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def count_mark(self, tag, a):
        chart = self.charts[-1]
        chart[3] += 1
        if tag == "rect":
            visible = float(a.get("width", 0)) > 0 and float(a.get("height", 0)) > 0
        else:
            visible = len(re.findall(r"[-\d.]+[ ,]+[-\d.]+|[HV]\s*[-\d.]+", a.get("d", ""))) >= 2
        chart[4] += visible

    def handle_data(self, data):
        if self.want_title == "reading":
            self.charts[-1][1] += data

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "title" and self.want_title == "reading":
            self.want_title = False
        if not self.stack or self.stack[-1][0] != tag:
            open_tags = [t for t, _ in self.stack]
            self.problems.append(f"line {self.getpos()[0]}: </{tag}> closes nothing open (open: {open_tags[-3:]})")
            if tag in open_tags:  # recover: pop to it
                while self.stack[-1][0] != tag:
                    self.stack.pop()
                self.stack.pop()
            return
        self.stack.pop()
        if tag == "svg" and self.chart_depth == len(self.stack):
            self.chart_depth = None


def check_source(text, problems):
    for i, m in enumerate(re.finditer(r"<svg\b.*?</svg>", text, re.S)):
        try:
            ET.fromstring(m.group(0))
        except ET.ParseError as e:
            problems.append(f"svg #{i}: not well-formed XML: {e}")
    for pattern in (r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import", r"https?:"):
        for m in re.finditer(pattern, text.replace(f'xmlns="{SVG_NS}"', "")):
            problems.append(f"external reference {m.group(0)!r} at offset {m.start()}")


def main():
    path = sys.argv[1]
    source = "--source" in sys.argv[2:]
    text = open(path, encoding="utf-8").read()
    c = Checker()
    c.feed(text)
    c.close()
    problems = c.problems
    problems += [f"<{t}> opened at line {line} is never closed" for t, line in c.stack
                 if t not in ("html", "head", "body") or source]
    for kind, title, marks, elements, _ in c.charts:
        if marks != elements:
            problems.append(f"chart {kind} '{title}': data-marks {marks} but {elements} mark elements")
    if source:
        if c.scripts:
            problems.append(f"{c.scripts} <script> elements")
        check_source(text, problems)
    for kind, title, marks, elements, visible in c.charts:
        print(f"{kind}\t{title}\t{marks}\t{elements}\t{visible}")
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
