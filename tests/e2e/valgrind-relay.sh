#!/bin/sh
# valgrind-relay.sh: the relay under valgrind memcheck, for `make valgrind`.
#
# Used as RELAY_BIN by the end-to-end tests: execs valgrind on the
# unsanitized -O1 -g build ($VALGRIND_RELAY_BIN, default
# build/valgrind/securex-relay) with the harness's arguments. Any memcheck
# error or definite leak makes the relay exit 99 instead of 0 when the
# harness stops it, which fails the test class (harness.Relay.stop).
# Valgrind's own report lands in the relay's stderr file with it.
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VALGRIND_RELAY_BIN:-$here/build/valgrind/securex-relay}
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--track-origins=yes --num-callers=30 --child-silent-after-fork=yes \
	--suppressions="$here/tests/e2e/valgrind.supp" -q "$bin" "$@"
