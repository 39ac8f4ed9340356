#!/usr/bin/env python3
"""Checks that the repository's documentation points at things that exist.

- Every relative link and image in every Markdown file names a file or folder of the
  repository, and every #anchor names a heading (or an <a id>) of the file it points into.
- A Markdown file mentions SPEC.md or DESIGN.md only inside links (which must resolve).
- Every page of docs/ opens, after its title, with one sentence saying who it is for
  ("For collector authors who ...").
- Every file (source, traces, Markdown) that cites a section of the spec ("SPEC.md section
  4", "SPEC 3.1", "SPEC.md section 5 item 5") cites one SPEC.md has, and names no DESIGN.md
  unless the repository has one.

Links with a scheme (https:, mailto:) are not followed: CI has no network.

Usage: check-links.py [ROOT]        exit 0 when everything resolves, 1 with one line per
                                   problem (file:line: message), 2 on bad usage
       check-links.py --self-test  shows that broken links are reported
"""

import os
import re
import sys
import tempfile
import unicodedata

SKIPPED_DIRS = {".git", "build", "node_modules", ".cache", "fuzz-out"}
TEXT_SUFFIXES = {
    ".md", ".h", ".hpp", ".c", ".cc", ".cpp", ".gct", ".py", ".sh", ".txt", ".cmake",
    ".json", ".yaml", ".yml", ".java", ".lua", ".rs", ".options", ".dict",
}
TEXT_NAMES = {"CMakeLists.txt", "Makefile", "Dockerfile", "run"}

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_TARGET = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""")
HTML_ANCHOR = re.compile(r"""<a\s[^>]*(?:id|name)\s*=\s*["']([^"']+)["']""")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# "SPEC.md section 5 item 5", "SPEC.md sections 1-4", "SPEC 3.1", "SPEC.md 3.4-3.5"
SPEC_CITATION = re.compile(
    r"\bSPEC(?:\.md)?(?:'s)?,?\s+(?:sections?\s+)?(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?"
    r"(?:,?\s+items?\s+(\d+))?")
NAMED_DOCUMENT = re.compile(r"\b(SPEC|DESIGN)\.md\b")
# A path to a Markdown file named in a source file or trace ("docs/trace-format.md").
MARKDOWN_PATH = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w-]+\.md)\b")


def github_slug(text):
    """The anchor GitHub gives a heading: markup dropped, lowercased, punctuation other
    than '-' and '_' removed, each space a '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in " -_" or category[0] in "LNM":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def strip_code_spans(line):
    return CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def markdown_lines(text):
    """(line number, line) for the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                fence = None
            continue
        yield number, line


class Document:
    """A Markdown file's headings: their anchors, and the numbered sections of a spec."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.anchors = set()
        self.sections = {}  # "3.1" -> number of top-level ordered list items in it
        seen = {}
        previous = None
        current = None
        for _, line in markdown_lines(text):
            heading = None
            match = ATX_HEADING.match(line)
            if match:
                heading = match.group(2)
            elif previous and previous.strip() and SETEXT_UNDERLINE.match(line) \
                    and not previous.startswith((" ", "\t", "-", "*", ">")):
                heading = previous.strip()
            if heading is not None:
                slug = github_slug(heading)
                count = seen.get(slug, 0)
                seen[slug] = count + 1
                self.anchors.add(slug if count == 0 else f"{slug}-{count}")
                number = re.match(r"(\d+(?:\.\d+)*)\.?\s", heading)
                current = number.group(1) if number else None
                if current:
                    self.sections[current] = 0
            elif current and re.match(r"^\d+\.\s", line):
                self.sections[current] += 1
            for anchor in HTML_ANCHOR.findall(line):
                self.anchors.add(anchor)
            previous = line


class Checker:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.problems = []
        self.documents = {}

    def document(self, path):
        if path not in self.documents:
            self.documents[path] = Document(path)
        return self.documents[path]

    def report(self, path, line, message):
        self.problems.append(f"{os.path.relpath(path, self.root)}:{line}: {message}")

    def files(self):
        for directory, subdirs, names in os.walk(self.root):
            subdirs[:] = sorted(d for d in subdirs
                                if d not in SKIPPED_DIRS and not d.startswith("build"))
            for name in sorted(names):
                suffix = os.path.splitext(name)[1]
                if suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                    yield os.path.join(directory, name)

    def check_target(self, source, line, target):
        if not target or SCHEME.match(target) or target.startswith("//"):
            return
        path, _, anchor = target.partition("#")
        if path.startswith("/"):
            resolved = os.path.join(self.root, path.lstrip("/"))
        elif path:
            resolved = os.path.join(os.path.dirname(source), path)
        else:
            resolved = source
        resolved = os.path.normpath(resolved)
        if not os.path.exists(resolved):
            self.report(source, line, f"link to {target}: no such file")
            return
        if not resolved.startswith(self.root + os.sep) and resolved != self.root:
            self.report(source, line, f"link to {target}: outside the repository")
            return
        if anchor and resolved.endswith(".md"):
            if anchor not in self.document(resolved).anchors:
                self.report(source, line,
                            f"link to {target}: {os.path.relpath(resolved, self.root)} "
                            f"has no heading with anchor #{anchor}")

    def check_audience(self, path, text):
        lines = [(n, l) for n, l in enumerate(text.splitlines(), 1) if l.strip()]
        if len(lines) < 2 or not lines[0][1].startswith("# ") \
                or not lines[1][1].startswith("For "):
            number = lines[1][0] if len(lines) > 1 else 1
            self.report(path, number, "a docs page must open, after its title, with one "
                                      "sentence saying who it is for (\"For ...\")")

    def check_markdown(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if os.path.dirname(path) == os.path.join(self.root, "docs"):
            self.check_audience(path, text)
        # The prose: fenced blocks and code spans blanked out, line numbers kept, so that a
        # link whose text runs over two lines is still one match.
        prose = [""] * (text.count("\n") + 1)
        for number, raw in markdown_lines(text):
            prose[number - 1] = strip_code_spans(raw)
        joined = "\n".join(prose)

        def line_of(offset):
            return joined.count("\n", 0, offset) + 1

        for match in INLINE_LINK.finditer(joined):
            self.check_target(path, line_of(match.start()), match.group(1))
        for match in HTML_TARGET.finditer(joined):
            self.check_target(path, line_of(match.start()), match.group(1))
        for number, line in enumerate(prose, 1):
            definition = REFERENCE_DEFINITION.match(line)
            if definition:
                self.check_target(path, number, definition.group(1))
        # What is left once links are removed may not name the spec or the design.
        bare = HTML_TARGET.sub("", INLINE_LINK.sub(lambda m: "\n" * m.group(0).count("\n"),
                                                   joined))
        for number, line in enumerate(bare.split("\n"), 1):
            if REFERENCE_DEFINITION.match(line):
                continue
            for match in NAMED_DOCUMENT.finditer(line):
                self.report(path, number, f"{match.group(0)} is mentioned but not linked")

    def check_citations(self, path):
        spec = os.path.join(self.root, "SPEC.md")
        design = os.path.join(self.root, "DESIGN.md")
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except UnicodeDecodeError:
            return
        for number, line in enumerate(lines, 1):
            if "DESIGN.md" in line and not os.path.exists(design):
                self.report(path, number, "cites DESIGN.md, which the repository does not have")
            if not path.endswith(".md"):
                for named in MARKDOWN_PATH.findall(line):
                    if named == "DESIGN.md":
                        continue
                    here = os.path.join(os.path.dirname(path), named)
                    if not (os.path.exists(os.path.join(self.root, named)) or
                            os.path.exists(here)):
                        self.report(path, number, f"names {named}, which does not exist")
            for match in SPEC_CITATION.finditer(line):
                if not os.path.exists(spec):
                    self.report(path, number, "cites SPEC.md, which the repository does not have")
                    break
                sections = self.document(spec).sections
                first, last, item = match.groups()
                for section in filter(None, (first, last)):
                    if section not in sections:
                        self.report(path, number,
                                    f"cites SPEC.md section {section}, which SPEC.md does not have")
                if item and first in sections and int(item) > sections[first]:
                    self.report(path, number,
                                f"cites SPEC.md section {first} item {item}, but that section "
                                f"has {sections[first]} items")

    def run(self):
        for path in self.files():
            if path.endswith(".md"):
                self.check_markdown(path)
            if os.path.basename(path) != "check-links.py":
                self.check_citations(path)
        return self.problems


def self_test():
    """A repository with one good and several broken links: each break must be reported."""
    with tempfile.TemporaryDirectory() as root:
        def write(name, text):
            os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
            with open(os.path.join(root, name), "w", encoding="utf-8") as f:
                f.write(text)
        write("SPEC.md", "# Spec\n\n## 1. The world\n\n## 5. What the checker asserts\n\n"
                         "1. Safety\n2. Integrity\n")
        write("docs/a.md", "# A\n\nFor testers.\n\n## Two `words`: here\n\n"
                           "[ok](../SPEC.md#1-the-world) [ok](#two-words-here) "
                           "[ok](b.md) [web](https://example.org/x.md)\n"
                           "```\n[not a link](nowhere.md)\n```\n")
        write("docs/b.md", "# B\nFor testers.\n")
        good = Checker(root).run()
        assert good == [], good
        write("docs/c.md", "[gone](missing.md)\n[anchor](a.md#no-such-heading)\n"
                           "See SPEC.md for more.\n![picture](img/none.svg)\n"
                           "[SPEC.md section\n7](../SPEC.md#7-nothing)\n")
        write("src/x.cpp", "// SPEC.md section 7 says\n// SPEC 5 item 3\n// DESIGN.md\n"
                           "// SPEC.md section 5 item 2, docs/b.md, b.md\n// see docs/gone.md\n")
        problems = Checker(root).run()
        expected = [
            "docs/c.md:2: a docs page must open, after its title, with one sentence saying "
            "who it is for (\"For ...\")",
            "docs/c.md:1: link to missing.md: no such file",
            "docs/c.md:2: link to a.md#no-such-heading: docs/a.md has no heading with anchor "
            "#no-such-heading",
            "docs/c.md:3: SPEC.md is mentioned but not linked",
            "docs/c.md:4: link to img/none.svg: no such file",
            "docs/c.md:5: link to ../SPEC.md#7-nothing: SPEC.md has no heading with anchor "
            "#7-nothing",
            "src/x.cpp:1: cites SPEC.md section 7, which SPEC.md does not have",
            "src/x.cpp:2: cites SPEC.md section 5 item 3, but that section has 2 items",
            "src/x.cpp:3: cites DESIGN.md, which the repository does not have",
            "src/x.cpp:4: names b.md, which does not exist",
            "src/x.cpp:5: names docs/gone.md, which does not exist",
        ]
        assert sorted(problems) == sorted(expected), "\n".join(problems)
    print("check-links self-test: every planted break reported, nothing else")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print("usage: check-links.py [ROOT] | --self-test", file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.join(os.path.dirname(__file__), "..")
    if not os.path.isdir(root):
        print(f"check-links: {root}: not a folder", file=sys.stderr)
        return 2
    checker = Checker(root)
    problems = checker.run()
    for problem in problems:
        print(problem)
    checked = len(list(checker.files()))
    if problems:
        print(f"SUMMARY: check-links: {len(problems)} broken link(s) or citation(s) "
              f"in {checked} files")
        return 1
    print(f"SUMMARY: check-links: {checked} files, every link and citation resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
