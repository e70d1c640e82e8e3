#!/usr/bin/env bash
# lint.sh: `make lint`: clang-format, banned C functions, documentation links
# and the manual page.
#
# 1. clang-format --dry-run -Werror over src/ include/ tests/unit (`make
#    lint` installs clang-format first; without it the check is skipped and
#    the last line says "skipped", never "ok").
# 2. No sprintf, strcpy, strcat, atoi, strtok or gets in src/ or include/
#    (unbounded writes, silent conversion failures, hidden global state):
#    prints file:line for each use and fails.
# 3. Every relative link of README.md and docs/*.md names an existing file,
#    and every #anchor a heading of its file (scripts/doc_links.py): one
#    "lint: broken link: file:line: target: why" line per broken link.
# 4. docs/securex-relay.8 renders without a warning: groff -man -ww -z, and
#    mandoc -T lint when mandoc is installed (both are in the lint packages).
# 5. No include cycles between units (scripts/include-cycles.py): prints
#    each cycle and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
skipped=""

mapfile -t files < <(find src include tests/unit -type f \( -name '*.c' -o -name '*.h' \) \
	2>/dev/null | LC_ALL=C sort)

if command -v clang-format >/dev/null 2>&1; then
	if [ ${#files[@]} -gt 0 ]; then
		if ! clang-format --style=file --dry-run -Werror "${files[@]}"; then
			echo "lint: clang-format: the files above are not formatted" \
				"(clang-format -i <file>)" >&2
			status=1
		fi
	fi
else
	skipped="format check skipped: clang-format is not installed (scripts/deps.sh lint, or apt-get install clang-format)"
	echo "lint: $skipped" >&2
fi

# Banned functions, as calls: a name followed by "(", not part of a longer
# identifier (snprintf, strtok_r, ...). Comments are not exempt: say it
# differently.
banned='sprintf|strcpy|strcat|atoi|strtok|gets'
src_files=()
for f in "${files[@]}"; do
	case $f in
	src/* | include/*) src_files+=("$f") ;;
	esac
done
if [ ${#src_files[@]} -gt 0 ]; then
	if grep -nHE "(^|[^A-Za-z0-9_])($banned)[[:space:]]*\(" "${src_files[@]}"; then
		echo "lint: banned functions above ($banned); use snprintf, memcpy with" \
			"explicit sizes, strtol/strtoul, strtok_r, fgets" >&2
		status=1
	fi
fi

skip() {
	echo "lint: $1" >&2
	skipped="${skipped:+$skipped; }$1"
}

if command -v python3 >/dev/null 2>&1; then
	if ! python3 scripts/doc_links.py README.md docs/*.md; then
		echo "lint: the links above do not resolve (a moved file or a renamed heading?)" >&2
		status=1
	fi
else
	skip "link check skipped: python3 is not installed (scripts/deps.sh lint)"
fi

man_page=docs/securex-relay.8
if command -v groff >/dev/null 2>&1; then
	out=$(groff -man -ww -z "$man_page" 2>&1) || true
	if [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		echo "lint: $man_page: groff -man -ww warns (above)" >&2
		status=1
	fi
else
	skip "man page check skipped: groff is not installed (scripts/deps.sh lint)"
fi
if command -v mandoc >/dev/null 2>&1; then
	if ! out=$(mandoc -T lint "$man_page" 2>&1) || [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		echo "lint: $man_page: mandoc -T lint complains (above)" >&2
		status=1
	fi
fi
if ! cycles=$(python3 scripts/include-cycles.py 2>&1); then
	echo "$cycles" >&2
	status=1
fi

if [ $status -eq 0 ]; then
	if [ -n "$skipped" ]; then
		echo "lint: the other checks ok; $skipped"
	else
		echo "lint: ok (clang-format, banned functions, doc links, man page, include cycles)"
	fi
fi
exit $status
