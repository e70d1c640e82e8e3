#!/usr/bin/env python3
"""doc_links.py: every relative link of the given Markdown files must resolve.

    scripts/doc_links.py README.md docs/*.md

For each link `[text](target)` or reference definition `[name]: target`
outside code blocks and code spans: a target with a scheme (https:, mailto:)
is skipped; any other must name an existing file or directory, relative to
the file that holds the link; a `#anchor` (alone, or after a .md file) must
be the GitHub slug of a heading of that file. Prints one line per broken
link, `path:line: target: why`, and exits 1 when there is any; prints nothing
and exits 0 otherwise.
"""

import os
import re
import sys

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def text_lines(path):
    """(line number, text) of the lines outside fenced code blocks."""
    fence = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = FENCE.match(line)
            if fence:
                if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                    fence = None
                continue
            if m:
                fence = m.group(1)
                continue
            yield n, line


def slug(heading):
    """GitHub's anchor for a heading: the text without markup, lower case,
    without punctuation but hyphens and underscores, spaces as hyphens."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)  # emphasis
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen, found = {}, set()
        for _, line in text_lines(path):
            m = HEADING.match(line)
            if not m:
                continue
            s = slug(m.group(2))
            if s in seen:
                seen[s] += 1
                s = "%s-%d" % (s, seen[s])
            else:
                seen[s] = 0
            found.add(s)
        _anchors[path] = found
    return _anchors[path]


def links(path):
    for n, line in text_lines(path):
        m = REF_DEF.match(line)
        if m:
            yield n, m.group(1)
            continue
        line = CODE_SPAN.sub("", line)
        for m in INLINE_LINK.finditer(line):
            yield n, m.group(1)


def check(path):
    problems = []
    base = os.path.dirname(path)
    for n, target in links(path):
        if SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(base, file_part)) if file_part else path
        if not os.path.exists(dest):
            problems.append("%s:%d: %s: no such file %s" % (path, n, target, dest))
            continue
        if anchor and dest.endswith(".md") and anchor not in anchors(dest):
            problems.append("%s:%d: %s: no heading with the anchor #%s in %s"
                            % (path, n, target, anchor, dest))
    return problems


def main(paths):
    problems = []
    for path in paths:
        problems += check(path)
    for p in problems:
        print("lint: broken link: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
