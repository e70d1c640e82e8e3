#!/usr/bin/env bash
# lint.sh: `make lint`: clang-format check and banned C functions.
#
# 1. clang-format --dry-run -Werror over src/ include/ tests/unit (`make
#    lint` installs clang-format first; without it the check is skipped and
#    the last line says "skipped", never "ok").
# 2. No sprintf, strcpy, strcat, atoi, strtok or gets in src/ or include/
#    (unbounded writes, silent conversion failures, hidden global state):
#    prints file:line for each use and fails.
# 3. No include cycles between units (scripts/include-cycles.py): prints
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

if ! cycles=$(python3 scripts/include-cycles.py 2>&1); then
	echo "$cycles" >&2
	status=1
fi

if [ $status -eq 0 ]; then
	if [ -n "$skipped" ]; then
		echo "lint: banned functions and include cycles ok; $skipped"
	else
		echo "lint: ok (clang-format, banned functions, include cycles)"
	fi
fi
exit $status
