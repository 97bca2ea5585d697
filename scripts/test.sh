#!/bin/sh
# The full test suite, as CI runs it: installs what is missing, builds with
# -Werror under AddressSanitizer and UndefinedBehaviorSanitizer, runs every
# unit test and integration scenario, checks the installed SDK, and ends
# with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
build=${XS_BUILD_DIR:-$top/_build/check}

scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
./bootstrap >/dev/null 2>&1 || { echo "bootstrap failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$build"
cd "$build"
if ! "$top/configure" -q --enable-werror --enable-sanitizers \
    --prefix="$build/inst" CFLAGS="-O1 -g" 2>configure.err ||
    ! make -j2 >make.log 2>&1; then
	tail -40 make.log 2>/dev/null
	echo "0 passed, 1 failed"
	exit 1
fi

ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    make -j2 check >check.log 2>&1
status=$?

# Each TAP line is one result.  Count them from the .trs files the
# tap-driver writes, not from make's output, where the lines of two tests
# run by make -j2 can be glued together.
results() {
	find tests -name '*.trs' -exec grep -h '^:test-result:' {} + |
	    awk '{ print $2 }'
}
pass=$(results | grep -c -E '^(PASS|XFAIL|SKIP)$' || true)
fail=$(results | grep -c -E '^(FAIL|XPASS|ERROR)$' || true)
grep -h -E '^(FAIL|XPASS|ERROR):' check.log | sed 's/^/  /'
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
	tail -40 check.log
	fail=1
fi

# step NAME COMMAND...: one more result, with its output kept in NAME.log.
step() {
	name=$1
	shift
	if "$@" >"$name.log" 2>&1; then
		echo "PASS: $name"
		pass=$((pass + 1))
	else
		echo "FAIL: $name (see $build/$name.log)"
		tail -20 "$name.log" | sed 's/^/  | /'
		fail=$((fail + 1))
	fi
}

# The installed tree: no libtool archives beside the providers, the daemon
# finds them by default, and a provider author's path works from it.
installed() {
	rm -rf inst
	make install >/dev/null || return 1
	! ls inst/lib/xsecrets/providers/*.la 2>/dev/null | grep -q . &&
	inst/sbin/xsecretsd --manifests "$top/examples/fake" \
	    --output-dir "$build/inst-out" --once
}
step install installed
step sdk sh "$top/plugins/skeleton/ci-check.sh" "$build/inst"
step distcheck make -j2 distcheck
# The benchmark is not a test; its small form runs so that it cannot rot.
step bench make bench BENCH_N=500 BENCH_QUICK=1
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
