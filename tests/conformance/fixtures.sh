#!/bin/sh
# Proof that each check of xsecrets-conformance can fail: every fixture
# provider of tests/fixtures/conformance breaks one rule, and the harness
# must fail exactly the check for that rule and no other.  The harness
# must refuse fixtures files whose "http" or "env" members are malformed.
# Then the fake and Alibaba providers must pass every check at the strict
# level.  Modules are copied into a private 0700 directory so that the
# permission check does not depend on the umask the build ran under.
set -u
: "${top_builddir:?run me through make check}"
: "${top_srcdir:?run me through make check}"

H=$top_builddir/xsecrets-conformance
LIBS=$top_builddir/tests/fixtures/conformance/.libs
FX=$top_srcdir/tests/conformance
umask 022
T=$(mktemp -d "${TMPDIR:-/tmp}/xs-conf.XXXXXX")
trap 'chmod -R u+rwX "$T"; rm -rf "$T"' EXIT
chmod 700 "$T"
n=0
failed=0

pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}

fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do
		echo "#   $line"
	done
}

# install SRC: copies a module into $T/mods with safe permissions.
install_mod() {
	mkdir -p "$T/mods"
	chmod 700 "$T/mods"
	cp "$1" "$T/mods/" && chmod 644 "$T/mods/$(basename "$1")"
}

# expect MODULE FIXTURES "IDS" [OPTIONS...]: the harness, run on MODULE,
# fails exactly the checks IDS (space-separated, in report order) and exits
# 1, or passes everything and exits 0 when IDS is empty.
expect() {
	mod=$1
	fx=$2
	want=$3
	shift 3
	"$H" --level strict --timeout 20 --fixtures "$fx" "$@" "$mod" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	got=$(sed -n 's/^not ok [0-9]* - \([A-Z]*-[0-9]*\) .*/\1/p' \
	    "$T/out" | tr '\n' ' ' | sed 's/ $//')
	wantrc=1
	[ -z "$want" ] && wantrc=0
	name="$(basename "$mod") $*: fails [$want]"
	if [ "$got" = "$want" ] && [ "$rc" = "$wantrc" ]; then
		pass "$name"
	else
		fail "$name" "got [$got], exit $rc" \
		    "$(grep -A1 '^not ok' "$T/out" | head -6 | tr '\n' '|')"
	fi
}

for m in good abi-major exports stdout leak crash notfound echo hang \
    http-good http-codes http-retry; do
	install_mod "$LIBS/$m.so"
done
M=$T/mods
B=$FX/broken.fixtures

expect "$M/good.so" "$B" ""
expect "$M/abi-major.so" "$B" "LOAD-003"
expect "$M/exports.so" "$B" "STATIC-001"
expect "$M/stdout.so" "$B" "CONTRACT-011"
expect "$M/leak.so" "$B" "CONTRACT-010"
expect "$M/crash.so" "$B" "PROC-001"
expect "$M/notfound.so" "$B" "CONTRACT-006"
expect "$M/echo.so" "$B" "CONTRACT-009"
expect "$M/hang.so" "$B" "PROC-001" --timeout 2
expect "$M/http-good.so" "$FX/http.fixtures" ""
expect "$M/http-codes.so" "$FX/http.fixtures" "ROBUST-003"
expect "$M/http-retry.so" "$FX/http.fixtures" "ROBUST-004"

# Options: --skip drops a check, --level basic runs fewer of them.
expect "$M/stdout.so" "$B" "" --skip CONTRACT-011
expect "$M/echo.so" "$B" "" --level basic

# A module another user could replace is refused (STATIC-003).
mkdir "$T/open" && cp "$LIBS/good.so" "$T/open/" &&
    chmod 666 "$T/open/good.so"
expect "$T/open/good.so" "$B" "STATIC-003"

# The name must be the file's name (LOAD-004).
cp "$LIBS/good.so" "$M/renamed.so" && chmod 644 "$M/renamed.so"
expect "$M/renamed.so" "$B" "LOAD-004"

# The JSON report names every check with its section and result.
"$H" --level strict --fixtures "$B" --report "$T/report.json" \
    "$M/leak.so" >/dev/null 2>&1
if grep -q '"id":[[:space:]]*"CONTRACT-010"' "$T/report.json" &&
    grep -q '"section":[[:space:]]*"OWNERSHIP"' "$T/report.json" &&
    [ "$(grep -c '"result":[[:space:]]*"fail"' "$T/report.json")" = 1 ]
then
	pass "the JSON report has one failed check, with its section"
else
	fail "the JSON report has one failed check, with its section"
fi

# The object form of "http", in fake mode, is the same routes.
sed -e 's/"http": \[/"http": {"mode": "fake", "routes": [/' \
    -e 's/^  \]$/  ]}/' "$FX/http.fixtures" >"$T/http-object.fixtures"
expect "$M/http-good.so" "$T/http-object.fixtures" ""

# fixtures_bad NAME JSON: a fixtures file the harness refuses, exit 1 and
# a message naming the member at fault.
fixtures_bad() {
	printf '%s\n' "$2" >"$T/bad.fixtures"
	"$H" --fixtures "$T/bad.fixtures" "$M/good.so" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "$3" "$T/err"; then
		pass "fixtures refused: $1"
	else
		fail "fixtures refused: $1" "exit $rc: $(cat "$T/err")"
	fi
}
fixtures_bad "unknown http.mode" '{"http": {"mode": "real"}}' 'http.mode'
fixtures_bad "passthrough without allow" \
    '{"http": {"mode": "passthrough"}}' 'http.allow'
fixtures_bad "an allow entry that is not a pattern" \
    '{"http": {"mode": "passthrough", "allow": ["ftp://x"]}}' \
    'http.allow\[0\]'
fixtures_bad "allow in fake mode" '{"http": {"allow": ["x"]}}' 'http.allow'
fixtures_bad "routes in passthrough mode" \
    '{"http": {"mode": "passthrough", "allow": ["x"], "routes": []}}' \
    'http.routes'
fixtures_bad "an env value that is not a string" '{"env": {"A": 1}}' \
    'env.A'

# Our own providers pass everything at the strictest level.  The Alibaba
# fixtures script KMS's answers; a bare 404 without an error code is a
# wrong endpoint to KMS, not a missing secret, hence the override there.
install_mod "$top_builddir/providers/fake/.libs/fake.so"
expect "$M/fake.so" "$FX/fake.fixtures" ""
install_mod "$top_builddir/providers/alibaba/.libs/alibaba.so"
expect "$M/alibaba.so" "$FX/alibaba.fixtures" ""

echo "1..$n"
[ "$failed" = 0 ]
