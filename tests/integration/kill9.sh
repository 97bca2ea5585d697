#!/bin/sh
# kill -9 at random instants while the daemon rewrites targets: every
# target must be wholly the old or wholly the new version, and the next
# start must clean the temporaries.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
M=$T/m
OUT=$T/out
mkdir -p "$M"
N=40
ROUNDS=${XS_KILL_ROUNDS:-25}

# store LETTER: keys k1..k3 all hold LETTER repeated.
store() {
	v=$(head -c 20000 /dev/zero | tr '\0' "$1")
	{
		printf 'apiVersion: external-secrets.io/v1\nkind: SecretStore\n'
		printf 'metadata: {name: fake, namespace: default}\n'
		printf 'spec:\n  provider:\n    fake:\n      data:\n'
		for k in k1 k2 k3; do
			printf '        - {key: %s, value: "%s"}\n' $k "$v"
		done
	} >"$M/store.yaml"
}

i=0
while [ $i -lt $N ]; do
	cat <<YAML
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: t$i, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data:
    - {secretKey: k1, remoteRef: {key: k1}}
    - {secretKey: k2, remoteRef: {key: k2}}
    - {secretKey: k3, remoteRef: {key: k3}}
---
YAML
	i=$((i + 1))
done >"$M/es.yaml"

# consistent: every target that exists (has ..data; a directory without it
# is a first write cut short, i.e. still absent) holds one letter in all
# three keys, read through their links as an application would.
consistent() {
	for d in "$OUT"/default/t*; do
		[ -L "$d/..data" ] || continue
		a=$(head -c 1 "$d/k1") b=$(head -c 1 "$d/k2")
		c=$(head -c 1 "$d/k3")
		if [ -z "$a" ] || [ "$a" != "$b" ] || [ "$b" != "$c" ] ||
		    [ "$(wc -c <"$d/k1")" -ne 20000 ]; then
			echo "# torn: $d: k1=$a k2=$b k3=$c"
			ls -la "$d" | sed 's/^/#   /'
			return 1
		fi
	done
}

torn=0
r=0
letter=A
while [ $r -lt $ROUNDS ]; do
	store $letter
	"$XSECRETSD" --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
	    --once --log-level error >/dev/null 2>&1 &
	pid=$!
	# 0 to 150 ms into the run.
	sleep "0.$(printf '%03d' $(( $(od -An -N2 -tu2 /dev/urandom) % 150 )))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	consistent | head -12
	consistent >/dev/null || torn=$((torn + 1))
	[ $letter = A ] && letter=B || letter=A
	r=$((r + 1))
done
is "$torn" 0 "no torn target after $ROUNDS kill -9s"

store C
xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" --once
is "$rc" 0 "a clean run after the kills syncs everything"
ok "every target holds the new version" consistent
is "$(head -c 1 "$OUT/default/t0/k1")" C "the new version is in place"
left=$(find "$OUT" -name '..*' ! -name '..data' ! -name '..owner' |
    while read -r f; do
	d=$(dirname "$f")
	[ "$(readlink "$d/..data")" = "$(basename "$f")" ] || echo "$f"
    done | wc -l)
is "$left" 0 "no temporaries are left after the restart"

done_testing
