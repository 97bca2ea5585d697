#!/bin/sh
# Plugin refusals seen from the daemon: each broken or unsafe module is
# refused with one log line naming the file and the reason, before any of
# its code runs; the daemon goes on with the others, and ExternalSecrets
# whose store needs a refused provider say so in their status.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
F=$top_builddir/tests/fixtures/loader/.libs
[ -f "$F/badmajor.so" ] || skip_all "loader fixtures not built"
for m in badmajor noentry badname undef; do
	install -m 0644 "$F/$m.so" "$P/$m.so"
done
install -m 0666 "$F/good.so" "$P/good.so"
M=$T/m
OUT=$T/out
mkdir -p "$M"

cat >"$M/m.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: default}
spec:
  provider:
    fake:
      data: [{key: k, value: v}]
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: good, namespace: default}
spec:
  provider:
    good: {}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: works, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: k, remoteRef: {key: k}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: refused, namespace: default}
spec:
  secretStoreRef: {name: good}
  data: [{secretKey: k, remoteRef: {key: k}}]
YAML

xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" --once
is "$(cat "$OUT/default/works/k")" v "the good provider still serves"
for m in badmajor noentry badname undef good; do
	is "$(grep -c "provider $P/$m.so: refused: " "$T/stderr")" 1 \
	    "$m.so refused with exactly one log line"
done
like "$T/stderr" "good.so: refused: .*writable" \
    "the world-writable module is refused for its mode"
like "$T/stdout" '^default +refused +good +False .*provider.*good.*not loaded' \
    "the ExternalSecret needing it says the provider is not loaded"
is "$rc" 1 "--once reports the failure"

# The fixtures' constructors create $XS_FIXTURE_MARK when they run.
mkdir "$T/p2"
chmod 0755 "$T/p2"
install -m 0644 "$P/fake.so" "$T/p2/fake.so"
install -m 0666 "$F/good.so" "$T/p2/good.so"
XS_FIXTURE_MARK=$T/ran xs --manifests "$M" --output-dir "$OUT" \
    --provider-dir "$T/p2" --once
like "$T/stderr" "good.so: refused: " "the world-writable module is refused"
nok "no code of the refused module ran" test -e "$T/ran"

chmod 0777 "$P"
xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" --once
like "$T/stderr" "refused: .*writable" "a world-writable provider directory is refused"
nok "nothing loads from it" grep -q "^default +works +fake +True" "$T/stdout"

done_testing
