#!/bin/sh
# Live test of alibaba-emu: makes a test CA, writes a configuration, starts
# the emulator twice (HTTP, and HTTPS with the test certificate), and runs
# emu_client, which prints the TAP.  Loopback only; ports are picked by the
# kernel and read back from the port files.
set -u

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
emu=$builddir/tests/emulators/alibaba-emu
client=$builddir/tests/emulators/emu_client
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xs-emu.XXXXXX") || exit 1
pids=
failed=0

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bail() {
	echo "Bail out! $*"
	exit 1
}

# start NAME ARGS...: starts an emulator in the background, in this shell
# so that its pid is ours to stop; port NAME then waits for its port.
start() {
	name=$1
	shift
	"$emu" --config "$tmp/config.json" --port-file "$tmp/$name.port" \
	    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	eval "pid_$name=$!"
}

port() {
	i=0
	while [ ! -s "$tmp/$1.port" ]; do
		i=$((i + 1))
		[ $i -gt 400 ] && return 1
		sleep 0.05
	done
	sed -n 's/^port=//p' "$tmp/$1.port"
}

# stop NAME: SIGTERM, then the exit status must be 0 (under the sanitizers
# a leak or an error makes it non-zero).
stop() {
	eval "p=\$pid_$1"
	kill "$p" 2>/dev/null
	wait "$p"
	st=$?
	pids=$(echo "$pids" | sed "s/ $p\$//; s/ $p / /")
	n=$((n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $n - emulator $1 stopped cleanly"
	else
		echo "not ok $n - emulator $1 stopped cleanly (status $st)"
		failed=1
		sed 's/^/# /' "$tmp/$1.err"
	fi
}

sh "$srcdir/tests/emulators/mkcerts.sh" "$tmp/tls" >/dev/null ||
    bail "mkcerts.sh failed"
printf 'eyJhbGciOiJSUzI1NiJ9.first-token.sig\n' >"$tmp/token"
cat >"$tmp/config.json" <<JSON
{
  "access_keys": [
    { "id": "testid", "secret": "testsecret" },
    { "id": "other", "secret": "othersecret" }
  ],
  "secrets": {
    "db-password": {
      "tags": { "env": "prod", "team": "pay" },
      "versions": [
        { "id": "v1", "stages": ["ACSCurrent"], "data": "old-pass" },
        { "id": "v2", "stages": ["ACSCurrent"], "data": "new-pass" }
      ]
    },
    "my/secret name*~+": {
      "versions": [ { "id": "w1", "stages": ["ACSCurrent"],
                      "data": "weird" } ]
    },
    "blob": {
      "versions": [ { "id": "b1", "stages": ["ACSCurrent"],
                      "type": "binary", "data": "AAECAwQ=" } ]
    },
    "app/one": { "tags": { "team": "app" },
      "versions": [ { "stages": ["ACSCurrent"], "data": "1" } ] },
    "app/two": { "tags": { "team": "app" },
      "versions": [ { "stages": ["ACSCurrent"], "data": "2" } ] },
    "app/three": { "tags": { "team": "app" },
      "versions": [ { "stages": ["ACSCurrent"], "data": "3" } ] },
    "other": { "tags": { "team": "ops" },
      "versions": [ { "stages": ["ACSCurrent"], "data": "o" } ] }
  },
  "oidc": {
    "provider_arn": "acs:ram::1234567890:oidc-provider/ack-rrsa",
    "role_arn": "acs:ram::1234567890:role/reader",
    "token_file": "$tmp/token"
  }
}
JSON

start http --sts-lifetime 600
start https --sts-lifetime 600 \
    --tls-cert "$tmp/tls/server.pem" --tls-key "$tmp/tls/server.key"
http_port=$(port http) || bail "emulator http did not start: \
$(cat "$tmp/http.err")"
https_port=$(port https) || bail "emulator https did not start: \
$(cat "$tmp/https.err")"

# The client prints TAP without the plan's end; ours follows its checks.
"$client" "$http_port" "$https_port" "$tmp/tls/ca.pem" \
    "$tmp/tls/wrong-ca.pem" "$tmp/token" >"$tmp/client.tap"
rc=$?
grep -v '^1\.\.' "$tmp/client.tap"
n=$(sed -n 's/^1\.\.//p' "$tmp/client.tap")
if [ -z "$n" ]; then
	n=1
	echo "not ok 1 - emu_client ended without a plan (status $rc)"
fi
stop http
stop https
echo "1..$n"
grep -q '^not ok' "$tmp/client.tap" && failed=1
exit $failed
