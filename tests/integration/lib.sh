# Helpers for integration scenarios: TAP output, a private temporary
# directory, the built daemon and providers, and process control.
# A scenario sources this file, runs checks, and ends with done_testing.

set -u
: "${top_builddir:?run me through make check}"
: "${top_srcdir:?run me through make check}"

XSECRETSD=$top_builddir/xsecretsd
T=$(mktemp -d "${TMPDIR:-/tmp}/xs-test.XXXXXX")
tap_n=0
tap_failed=0

# XS_VALGRIND=1 (as for the unit tests, see tests/run-test): every run of
# the daemon goes through memcheck, unless it is built with ASan; the
# errors of all runs make one more result at the end.
xs_valgrind=
if [ "${XS_VALGRIND:-0}" = 1 ] &&
    ! ldd "$XSECRETSD" 2>/dev/null | grep -q libasan; then
	printf '#!/bin/sh\nexec valgrind -q --track-origins=yes \\\n' \
	    >"$T/valgrind-xsecretsd"
	printf '    --log-file=%s/valgrind.%%p %s "$@"\n' "$T" "$XSECRETSD" \
	    >>"$T/valgrind-xsecretsd"
	chmod 0755 "$T/valgrind-xsecretsd"
	XSECRETSD=$T/valgrind-xsecretsd
	xs_valgrind=1
fi
daemon_pid=

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	stop_emu
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ok DESCRIPTION COMMAND...: passes when COMMAND succeeds.
ok() {
	desc=$1
	shift
	tap_n=$((tap_n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		echo "#   failed: $*"
		tap_failed=$((tap_failed + 1))
	fi
}

# nok DESCRIPTION COMMAND...: passes when COMMAND fails.
nok() {
	desc=$1
	shift
	tap_n=$((tap_n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "not ok $tap_n - $desc"
		echo "#   unexpectedly succeeded: $*"
		tap_failed=$((tap_failed + 1))
	else
		echo "ok $tap_n - $desc"
	fi
}

# is GOT WANT DESCRIPTION
is() {
	tap_n=$((tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
		tap_failed=$((tap_failed + 1))
	fi
}

# like FILE PATTERN DESCRIPTION: passes when FILE has a line matching the
# extended regular expression PATTERN.
like() {
	tap_n=$((tap_n + 1))
	if grep -Eq -- "$2" "$1" 2>/dev/null; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   no line of $1 matches: $2"
		sed 's/^/#   | /' "$1" 2>/dev/null | head -20
		tap_failed=$((tap_failed + 1))
	fi
}

# unlike FILE PATTERN DESCRIPTION
unlike() {
	tap_n=$((tap_n + 1))
	if grep -Eq -- "$2" "$1" 2>/dev/null; then
		echo "not ok $tap_n - $3"
		echo "#   a line of $1 matches: $2"
		grep -E -- "$2" "$1" | head -5 | sed 's/^/#   | /'
		tap_failed=$((tap_failed + 1))
	else
		echo "ok $tap_n - $3"
	fi
}

# skip REASON: one check that cannot run here, reported as skipped.
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	if [ -n "$xs_valgrind" ]; then
		ok "valgrind: no error in any run of the daemon" \
		    sh -c "! cat '$T'/valgrind.* 2>/dev/null | grep -q ."
		cat "$T"/valgrind.* 2>/dev/null | sed -n '1,60s/^/#   /p'
	fi
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# provider_dir NAME...: a private provider directory holding the named
# built modules (fake, alibaba); prints its path.
provider_dir() {
	d=$T/providers
	mkdir -p "$d"
	chmod 0755 "$d"
	for p in "$@"; do
		cp "$top_builddir/providers/$p/.libs/$p.so" "$d/$p.so" ||
		    return 1
		chmod 0644 "$d/$p.so"
	done
	echo "$d"
}

# mode PATH: the octal permission bits of PATH.
mode() {
	stat -c %a "$1"
}

# xs ARGS...: runs the daemon in the foreground, output in $T/stdout and
# $T/stderr; sets rc.
xs() {
	"$XSECRETSD" "$@" >"$T/stdout" 2>"$T/stderr"
	rc=$?
}

# remnants_lib: the test allocator (tests/integration/remnants.c), when it
# can be preloaded: built, and the daemon not under AddressSanitizer or
# valgrind, which bring their own allocators.
remnants_lib() {
	lib=$top_builddir/tests/integration/.libs/remnants.so
	[ -f "$lib" ] && [ -z "$xs_valgrind" ] || return 1
	ldd "$XSECRETSD" 2>/dev/null | grep -q libasan && return 1
	echo "$lib"
}

# check_remnants CANARY CONTROL ARGS...: runs the daemon (ARGS, with --once)
# twice with the test allocator: every freed block must be clear of CANARY,
# a secret; the control run looks for CONTROL, a string the daemon keeps
# but does not zero (an object's name), and must find it, or the allocator
# was not in place.  Three results, or three skips.
check_remnants() {
	canary=$1
	control=$2
	shift 2
	if ! rlib=$(remnants_lib); then
		for i in 1 2 3; do
			skip "the test allocator needs no ASan or valgrind"
		done
		return 0
	fi
	XS_TEST_CANARY=$canary XS_TEST_REMNANTS_FD=3 LD_PRELOAD=$rlib \
	    "$XSECRETSD" "$@" >"$T/stdout" 2>"$T/stderr" 3>"$T/remnants"
	like "$T/stdout" 'SecretSynced' "test allocator: the daemon syncs"
	is "$(grep -c '^remnant' "$T/remnants")" 0 \
	    "no freed block holds a secret"
	sed -n '1,40s/^/#   /p' "$T/remnants"
	XS_TEST_CANARY=$control XS_TEST_REMNANTS_FD=3 LD_PRELOAD=$rlib \
	    "$XSECRETSD" "$@" >"$T/stdout" 2>"$T/stderr" 3>"$T/remnants"
	ok "control: the allocator sees what is freed unzeroed" \
	    grep -q '^remnant' "$T/remnants"
}

# start_daemon ARGS...: runs the daemon in the background, log in $T/log.
start_daemon() {
	"$XSECRETSD" "$@" >"$T/daemon.out" 2>>"$T/log" &
	daemon_pid=$!
}

# daemon_metrics_port: after start_daemon with --metrics-addr 0, waits for
# the daemon to say which port the kernel gave it and prints it.  Port 0
# leaves no window in which a parallel test can take the port first.
daemon_metrics_port() {
	i=0
	while [ "$i" -lt 100 ]; do
		p=$(sed -n 's/.*metrics: listening on .*, port \([0-9]*\).*/\1/p' \
		    "$T/log" | tail -n 1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_daemon [SIGNAL]: stops it and waits; sets rc to its exit status.
stop_daemon() {
	kill "-${1:-TERM}" "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	while [ "$i" -lt "$limit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_emu CONFIG [ARGS...]: starts the Alibaba emulator in the background
# on a free port; sets emu_pid and emu_port.  HTTPS when ARGS name a
# certificate.
start_emu() {
	cfg=$1
	shift
	rm -f "$T/emu.port"
	"$top_builddir/tests/emulators/alibaba-emu" --config "$cfg" \
	    --port-file "$T/emu.port" "$@" >"$T/emu.out" 2>&1 &
	emu_pid=$!
	wait_for 10 test -s "$T/emu.port" || return 1
	emu_port=$(sed -n 's/^port=//p' "$T/emu.port")
}

# start_keys_emu ID SECRET N: the emulator over HTTPS (certificates made in
# $T/certs) with the access key ID and SECRET and N secrets k0 ... k<N-1>,
# whose values are value-0 ...; sets emu_url.  Skips the whole scenario
# when it cannot start.
start_keys_emu() {
	sh "$top_srcdir/tests/emulators/mkcerts.sh" "$T/certs" ||
	    skip_all "cannot make test certificates"
	{
		printf '{ "access_keys": [ { "id": "%s", ' "$1"
		printf '"secret": "%s" } ],\n  "secrets": {\n' "$2"
		i=0
		while [ "$i" -lt "$3" ]; do
			[ "$i" -gt 0 ] && printf ',\n'
			printf '    "k%d": { "versions": [ { "id": "v1", ' "$i"
			printf '"stages": ["ACSCurrent"], '
			printf '"data": "value-%d" } ] }' "$i"
			i=$((i + 1))
		done
		printf '\n  } }\n'
	} >"$T/emu.json"
	start_emu "$T/emu.json" --tls-cert "$T/certs/server.pem" \
	    --tls-key "$T/certs/server.key" ||
	    skip_all "the emulator did not start"
	emu_url=https://127.0.0.1:$emu_port
}

stop_emu() {
	[ -n "${emu_pid:-}" ] || return 0
	kill "$emu_pid" 2>/dev/null
	wait "$emu_pid" 2>/dev/null
	emu_pid=
}

# emu METHOD PATH [BODY]: a control request to the emulator; prints the
# response body.
emu() {
	curl -sf --cacert "$T/certs/ca.pem" -X "$1" \
	    ${3:+--data-binary "$3"} "$emu_url$2"
}

# emu_count ACTION: how many ACTION calls the emulator answered.
emu_count() {
	emu GET /_emu/stats | tr -d ' \n' |
	    sed -n "s/.*\"$1\":{\"codes\":{[^}]*},\"total\":\([0-9]*\).*/\1/p"
}
