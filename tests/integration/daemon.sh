#!/bin/sh
# Daemon mode: the timer, SIGHUP, manifest changes, concurrent syncs, and a
# clean exit on SIGTERM.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
M=$T/m
OUT=$T/out
mkdir -p "$M/sub"

# store VALUE: the fake store serving key "k" and 50 keys "n<i>".
store() {
	{
		printf 'apiVersion: external-secrets.io/v1\nkind: SecretStore\n'
		printf 'metadata: {name: fake, namespace: default}\n'
		printf 'spec:\n  provider:\n    fake:\n      data:\n'
		printf '        - {key: k, value: "%s"}\n' "$1"
		i=0
		while [ $i -lt 50 ]; do
			printf '        - {key: n%d, value: "%s-%d"}\n' $i "$1" $i
			i=$((i + 1))
		done
	} >"$M/store.tmp" && mv "$M/store.tmp" "$M/store.yaml"
}

es() {
	cat <<YAML
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: $1, namespace: default}
spec:
  refreshInterval: $2
  secretStoreRef: {name: fake}
  data:
    - {secretKey: value, remoteRef: {key: $3}}
---
YAML
}

store one
es timer 1h k >"$M/timer.yaml"
i=0
while [ $i -lt 50 ]; do
	es "many-$i" 1h "n$i"
	i=$((i + 1))
done >"$M/sub/many.yaml"

start_daemon --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
    --status-file "$T/status.json" --concurrency 4
ok "the daemon syncs at start" wait_for 20 test -f "$OUT/default/timer/value"
ok "50 ExternalSecrets in a subdirectory sync concurrently" \
    wait_for 20 test -f "$OUT/default/many-49/value"
is "$(cat "$OUT/default/many-7/value")" one-7 "each target has its own value"
ok "the status file appears" wait_for 10 grep -q SecretSynced "$T/status.json"

# A manifest change is seen without a signal.
store two
ok "a changed manifest is reloaded and synced" \
    wait_for 20 grep -qx two "$OUT/default/timer/value"
ok "every target follows the change" \
    wait_for 20 grep -qx two-49 "$OUT/default/many-49/value"

# SIGHUP reloads too (inotify sees this as well; either way it syncs).
es fresh 1h k >"$M/fresh.yaml"
kill -HUP "$daemon_pid"
ok "SIGHUP loads a new ExternalSecret" \
    wait_for 20 test -f "$OUT/default/fresh/value"

# The timer: a 1s refresh follows a value changed behind the daemon's back.
es fast 1s k >"$M/timer.yaml"
ok "the refreshed object syncs" wait_for 20 test -f "$OUT/default/fast/value"
ok "Owner target of the renamed ExternalSecret is removed" \
    wait_for 20 test ! -e "$OUT/default/timer"
echo stale >"$OUT/default/fast/..data/value"
ok "the timer rewrites a target that drifted" \
    wait_for 20 grep -qx two "$OUT/default/fast/value"

# Removing a file removes its Owner targets.
rm "$M/fresh.yaml"
ok "a deleted manifest removes its Owner target" \
    wait_for 20 test ! -e "$OUT/default/fresh"

stop_daemon TERM
is "$rc" 0 "SIGTERM exits 0"
like "$T/log" 'SIGTERM' "the exit is logged"
unlike "$T/log" 'one-|two-' "no secret value in the log"
unlike "$T/log" 'ERROR: (Address|Leak|Undefined)Sanitizer' "sanitizers are quiet"

done_testing
