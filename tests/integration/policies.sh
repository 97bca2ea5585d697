#!/bin/sh
# creationPolicy and deletionPolicy, each driven through the real daemon
# and the fake provider.  "Not found" comes from removing a key from the
# fake store's data.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
M=$T/m
OUT=$T/out
mkdir -p "$M"

# store KEY=VALUE...: the fake store serving exactly these keys.
store() {
	{
		printf 'apiVersion: external-secrets.io/v1\n'
		printf 'kind: SecretStore\n'
		printf 'metadata: {name: fake, namespace: default}\n'
		printf 'spec:\n  provider:\n    fake:\n      data:\n'
		for kv in "$@"; do
			printf '        - {key: %s, value: "%s"}\n' \
			    "${kv%%=*}" "${kv#*=}"
		done
	} >"$M/store.yaml"
}

# es NAME CREATION DELETION KEY...: an ExternalSecret reading KEYs.
es() {
	name=$1 creation=$2 deletion=$3
	shift 3
	{
		printf 'apiVersion: external-secrets.io/v1\n'
		printf 'kind: ExternalSecret\n'
		printf 'metadata: {name: %s, namespace: default}\n' "$name"
		printf 'spec:\n  refreshInterval: 1h\n'
		printf '  secretStoreRef: {name: fake}\n'
		printf '  target: {creationPolicy: %s, deletionPolicy: %s}\n' \
		    "$creation" "$deletion"
		printf '  data:\n'
		for k in "$@"; do
			printf '    - {secretKey: %s, remoteRef: {key: %s}}\n' \
			    "$k" "$k"
		done
	} >"$M/es-$name.yaml"
}

run() {
	xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
	    --status-file "$T/status.json" --once
}

row() {
	grep -E "^default +$1 " "$T/stdout"
}

# Owner and Orphan: both written; when the ExternalSecret goes away, the
# Owner target goes with it and the Orphan one stays.
store a=1 b=2
es owned Owner Retain a
es orphan Orphan Retain b
run
is "$rc" 0 "Owner and Orphan sync"
is "$(cat "$OUT/default/owned/a")" 1 "Owner target written"
is "$(cat "$OUT/default/orphan/b")" 2 "Orphan target written"
rm "$M/es-owned.yaml" "$M/es-orphan.yaml"
run
nok "Owner target removed with its ExternalSecret" test -e "$OUT/default/owned"
ok "Orphan target kept" test -f "$OUT/default/orphan/b"

# Merge never creates; CreateOrMerge creates; both merge into what exists.
es merged Merge Retain a
run
like "$T/stdout" "^default +merged +fake +False +SecretMissing" \
    "Merge does not create a missing target (SecretMissing)"
nok "no target for Merge" test -e "$OUT/default/merged"
es merged CreateOrMerge Retain a
run
is "$(cat "$OUT/default/merged/a")" 1 "CreateOrMerge creates"
es merged Merge Retain b
run
is "$(cat "$OUT/default/merged/a")$(cat "$OUT/default/merged/b")" 12 \
    "Merge keeps existing keys and adds its own"
rm "$M/es-merged.yaml"

# None: nothing written, still Ready.
es none None Retain a
run
nok "creationPolicy None writes nothing" test -e "$OUT/default/none"
like "$T/stdout" "^default +none +fake +True" "None is still Ready"
rm "$M/es-none.yaml"

# deletionPolicy Retain: the remote key disappears, the target stays.
store a=1 b=2 c=3
es keep Owner Retain a
es gone Owner Delete b
es part Owner Merge a c
run
is "$rc" 0 "three deletion policies sync"
store a=1
run
is "$(cat "$OUT/default/keep/a")" 1 "Retain keeps the target while present"
store b=2 c=3
run
is "$(cat "$OUT/default/keep/a")" 1 "Retain keeps the last value when not found"
like "$T/stdout" "^default +keep +fake +False +SecretSyncedError" \
    "Retain reports the missing remote secret"
store a=1 c=3
run
nok "Delete removes the target when its data is gone" \
    test -e "$OUT/default/gone"
like "$T/stdout" "^default +gone +fake +[A-Za-z]+ +SecretDeleted" \
    "Delete reports SecretDeleted"
store c=3
run
nok "Merge drops the missing key" test -e "$OUT/default/part/a"
is "$(cat "$OUT/default/part/c")" 3 "Merge keeps the keys still present"

# A provider error leaves the target exactly as it was.
store a=9 c=3
es keep Owner Retain a
run
is "$(cat "$OUT/default/keep/a")" 9 "target follows the remote value"
sed -i 's/fake:/nosuchprovider:/' "$M/store.yaml"
run
is "$(cat "$OUT/default/keep/a")" 9 "last good value kept on error"
nok "--once fails when an ExternalSecret fails" test "$rc" -eq 0
like "$T/stdout" 'nosuchprovider' "status names the missing provider"

done_testing
