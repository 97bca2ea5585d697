#!/bin/sh
# Secrets stay secret: canary values pushed through success and failure
# paths must not appear in the log (at debug level), the status file, the
# table, or the daemon's argv and environment.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
M=$T/m
OUT=$T/out
mkdir -p "$M"
CANARY=CANARY-7f3a9c

cat >"$M/m.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
stringData:
  token: "$CANARY-cred"
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: default}
spec:
  provider:
    fake:
      data:
        - {key: plain, value: "$CANARY-plain"}
        - {key: json, value: '{"a":"$CANARY-json","b":{"c":"$CANARY-deep"}}'}
        - {key: notjson, value: "$CANARY-notjson"}
        - {key: notb64, value: "$CANARY-notb64!!"}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ok, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data:
    - {secretKey: plain, remoteRef: {key: plain}}
    - {secretKey: deep, remoteRef: {key: json, property: b.c}}
  dataFrom:
    - extract: {key: json}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: badproperty, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data:
    - {secretKey: x, remoteRef: {key: notjson, property: a}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: baddecode, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data:
    - {secretKey: x, remoteRef: {key: notb64, decodingStrategy: Base64}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: badextract, namespace: default}
spec:
  secretStoreRef: {name: fake}
  dataFrom:
    - extract: {key: plain}
YAML

xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
    --status-file "$T/status.json" --log-level debug --once
is "$(cat "$OUT/default/ok/deep")" "$CANARY-deep" "the good target syncs"
like "$T/stdout" '^default +badproperty +fake +False' \
    "a property of a non-JSON value fails"
like "$T/stdout" '^default +baddecode +fake +False' \
    "a value that is not base64 fails to decode"
like "$T/stdout" '^default +badextract +fake +False' \
    "extract of a non-object fails"
unlike "$T/stderr" "$CANARY" "no canary in the debug log"
unlike "$T/stdout" "$CANARY" "no canary in the table"
unlike "$T/status.json" "$CANARY" "no canary in the status file"

# The heap: every block freed after holding a secret was zeroed first.
check_remnants "$CANARY" badextract --manifests "$M" \
    --output-dir "$T/out-remnants" --provider-dir "$P" --log-level debug \
    --once

# Daemon mode: argv and environment are what we passed, nothing more.
start_daemon --manifests "$M" --output-dir "$OUT" --provider-dir "$P"
ok "the daemon starts" wait_for 10 test -d "/proc/$daemon_pid"
sleep 1
nok "no canary in argv" grep -q "$CANARY" "/proc/$daemon_pid/cmdline"
nok "no canary in the environment" grep -q "$CANARY" "/proc/$daemon_pid/environ"
stop_daemon TERM

# A crash leaves no core file to read secrets from: the daemon makes itself
# non-dumpable and sets its core limit to 0.  A control process, crashed
# the same way in the same directory, must leave one; when it does not, the
# system writes no core files here and the check would prove nothing.
C=$T/cores
mkdir -p "$C"
crash() {
	(cd "$C" && ulimit -c unlimited && exec "$@") >/dev/null 2>&1 &
	crash_pid=$!
	sleep 1
	kill -SEGV "$crash_pid"
	{ wait "$crash_pid"; } 2>/dev/null
}
has_core() {
	ls "$C" | grep -q '^core'
}
control_dumps() {
	[ "$(cat /proc/sys/kernel/core_pattern 2>/dev/null)" = core ] &&
	    (ulimit -c unlimited) 2>/dev/null || return 1
	crash sleep 30
	has_core
}
if [ -n "$xs_valgrind" ]; then
	skip "under valgrind, which writes cores of its own"
elif control_dumps; then
	rm -f "$C"/core*
	rm -rf "$OUT"
	crash "$XSECRETSD" --manifests "$M" --output-dir "$OUT" \
	    --provider-dir "$P"
	ok "the crashed daemon had synced" test -f "$OUT/default/ok/deep"
	nok "a crashed daemon leaves no core file" has_core
else
	skip "this system writes no core file for a crashed process"
fi

done_testing
