#!/bin/sh
# Bad input is normal input: hostile and invalid manifests beside good ones.
# Each bad document is reported with its file and line; the good objects
# still sync, and a target synced before is never lost.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
M=$T/m
OUT=$T/out
mkdir -p "$M"

cat >"$M/good.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: default}
spec:
  provider:
    fake:
      data:
        - {key: k, value: "v"}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: good, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data:
    - {secretKey: k, remoteRef: {key: k}}
YAML

run() {
	xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" --once
}

run
is "$rc" 0 "the good manifest syncs alone"

# An alias bomb: nine levels of nine aliases.
{
	echo 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
	i=1
	while [ $i -le 9 ]; do
		p=$((i - 1))
		echo "a$i: &a$i [*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p]"
		i=$((i + 1))
	done
} >"$M/bomb.yaml"

# Deep nesting, a huge scalar, a huge file.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "["; print "" }' \
    >"$M/deep.yaml"
{ printf 'kind: "'; head -c 3000000 /dev/zero | tr '\0' x; echo '"'; } \
    >"$M/scalar.yaml"
head -c 20000000 /dev/zero | tr '\0' '#' >"$M/huge.yaml"

# Duplicate keys, invalid UTF-8, wrong types, a missing field.
cat >"$M/dup.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: dup, namespace: default}
metadata: {name: dup2, namespace: default}
spec: {}
YAML
printf 'kind: ExternalSecret\nmetadata: {name: "\377\376"}\n' >"$M/utf8.yaml"
cat >"$M/types.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: types, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data:
    - secretKey: [not, a, string]
      remoteRef: {key: k}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: traversal, namespace: default}
spec:
  secretStoreRef: {name: fake}
  target: {name: "../../etc"}
  data:
    - {secretKey: k, remoteRef: {key: k}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: nodata, namespace: default}
spec:
  secretStoreRef: {name: fake}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: badinterval, namespace: default}
spec:
  refreshInterval: 1hh
  secretStoreRef: {name: fake}
  data:
    - {secretKey: k, remoteRef: {key: k}}
YAML

run
is "$rc" 1 "--once fails when some documents are invalid"
is "$(cat "$OUT/default/good/k")" v "the good ExternalSecret still syncs"
for f in bomb deep scalar huge dup utf8; do
	like "$T/stderr" "$f\\.yaml(:[0-9]+)?" "$f.yaml is reported by name"
done
like "$T/stderr" 'types\.yaml:[0-9]+:[0-9]+:.*spec\.data\[0\]\.secretKey' \
    "a wrong type names file:line:column and the field"
like "$T/stderr" 'types\.yaml:[0-9]+:[0-9]+:.*traversal.*target\.name' \
    "a path-traversing target name is refused"
like "$T/stderr" 'either data or dataFrom should be specified' \
    "ESO's wording for an ExternalSecret without data"
like "$T/stderr" 'types\.yaml:.*refreshInterval' "a bad duration is named"
nok "nothing escapes the output directory" test -e "$T/etc"

# A synced target survives its manifest turning invalid.
sed -i 's/secretKey: k, remoteRef: {key: k}/secretKey: k, remoteRef: {}/' \
    "$M/good.yaml"
run
is "$(cat "$OUT/default/good/k")" v \
    "an invalid edit never deletes the synced target"

done_testing
