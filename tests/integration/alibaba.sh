#!/bin/sh
# The Alibaba provider end to end: the real daemon and alibaba.so against
# the signature-checking KMS+STS emulator over HTTPS, with AccessKey and
# RRSA authentication.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir alibaba) || skip_all "alibaba provider not built"
command -v curl >/dev/null || skip_all "curl is not installed"
M=$T/m
OUT=$T/out
mkdir -p "$M"
sh "$top_srcdir/tests/emulators/mkcerts.sh" "$T/certs" ||
    skip_all "cannot make test certificates"
CANARY=CANARY-41d7
TOKEN=eyJhbGciOiJSUzI1NiJ9.oidc-token-one.sig
printf '%s' "$TOKEN" >"$T/token"

cat >"$T/emu.json" <<JSON
{ "access_keys": [ { "id": "AKIDdemo", "secret": "ak-secret-$CANARY" } ],
  "secrets": {
    "app-password": { "versions": [
      { "id": "v1", "stages": ["ACSCurrent"], "data": "old-$CANARY" },
      { "id": "v2", "stages": ["ACSCurrent"], "data": "new-$CANARY" } ] },
    "db-config": { "tags": { "team": "pay" }, "versions": [
      { "id": "v1", "stages": ["ACSCurrent"],
        "data": "{\"user\":\"app\",\"password\":\"pw-$CANARY\",\"port\":5432}" } ] },
    "tls-key": { "tags": { "team": "pay" }, "versions": [
      { "id": "v1", "stages": ["ACSCurrent"], "type": "binary",
        "data": "$(printf 'bin-%s' "$CANARY" | base64)" } ] },
    "other": { "tags": { "team": "web" }, "versions": [
      { "id": "v1", "stages": ["ACSCurrent"], "data": "web" } ] } },
  "oidc": { "provider_arn": "acs:ram::1234567890123456:oidc-provider/ack",
            "role_arn": "acs:ram::1234567890123456:role/xs",
            "token_file": "$T/token", "lifetime_seconds": 3600 } }
JSON
start_emu "$T/emu.json" --tls-cert "$T/certs/server.pem" \
    --tls-key "$T/certs/server.key" || skip_all "the emulator did not start"
emu_url=https://127.0.0.1:$emu_port
CA=$(base64 -w0 "$T/certs/ca.pem")
WRONGCA=$(base64 -w0 "$T/certs/wrong-ca.pem")

ALIBABA_CLOUD_STS_ENDPOINT=$emu_url
export ALIBABA_CLOUD_STS_ENDPOINT

# store NAME KIND AUTH [CABUNDLE]: an alibaba store named NAME.
store() {
	cat <<YAML
apiVersion: external-secrets.io/v1
kind: $2
metadata: {name: $1, namespace: default}
spec:
  provider:
    alibaba:
      regionID: cn-hangzhou
      endpoint: $emu_url
      caBundle: ${4:-$CA}
      auth:
$3
---
YAML
}

AK='        secretRef:
          accessKeyIDSecretRef: {name: ak, key: id}
          accessKeySecretSecretRef: {name: ak, key: secret}'
RRSA="        rrsa:
          oidcProviderArn: acs:ram::1234567890123456:oidc-provider/ack
          oidcTokenFilePath: $T/token
          roleArn: acs:ram::1234567890123456:role/xs
          sessionName: xsecrets-test"

# es NAME STORE KIND [DELETION]: an ExternalSecret using every read form.
es() {
	cat <<YAML
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: $1, namespace: default}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: $2, kind: $3}
  target: {deletionPolicy: ${4:-Retain}}
  data:
    - {secretKey: password, remoteRef: {key: app-password}}
    - {secretKey: previous, remoteRef: {key: app-password, version: "stage:ACSPrevious"}}
    - {secretKey: v1, remoteRef: {key: app-password, version: v1}}
    - {secretKey: db-password, remoteRef: {key: db-config, property: password}}
    - {secretKey: tls.key, remoteRef: {key: tls-key}}
  dataFrom:
    - extract: {key: db-config}
    - find: {tags: {team: pay}}
      rewrite: [{regexp: {source: "(.*)", target: "found-\$1"}}]
---
YAML
}

# A trailing newline in the key, as "echo ... | base64" makes it.
{
	printf 'apiVersion: v1\nkind: Secret\n'
	printf 'metadata: {name: ak, namespace: default}\ndata:\n'
	printf '  id: %s\n' "$(printf 'AKIDdemo\n' | base64 -w0)"
	printf '  secret: %s\n---\n' \
	    "$(printf 'ak-secret-%s\n' "$CANARY" | base64 -w0)"
	store kms SecretStore "$AK"
	store kms-rrsa ClusterSecretStore "$RRSA"
	es ak kms SecretStore
	es rrsa kms-rrsa ClusterSecretStore
	es rrsa2 kms-rrsa ClusterSecretStore
} >"$M/m.yaml"

run() {
	xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
	    --allow-endpoint "https://127.0.0.1:*" --ca-file "$T/certs/ca.pem" \
	    --status-file "$T/status.json" --log-level debug --once "$@"
	cat "$T/stderr" >>"$T/all.log"
	cat "$T/status.json" "$T/stdout" >>"$T/all.out" 2>/dev/null
}

run
is "$rc" 0 "AccessKey and RRSA stores sync"
for e in ak rrsa; do
	is "$(cat "$OUT/default/$e/password")" "new-$CANARY" \
	    "$e: ACSCurrent by default"
	is "$(cat "$OUT/default/$e/previous")" "old-$CANARY" \
	    "$e: stage:ACSPrevious"
	is "$(cat "$OUT/default/$e/v1")" "old-$CANARY" "$e: VersionId"
	is "$(cat "$OUT/default/$e/db-password")" "pw-$CANARY" \
	    "$e: property of a JSON value"
	is "$(cat "$OUT/default/$e/tls.key")" "bin-$CANARY" \
	    "$e: binary value decoded"
	is "$(cat "$OUT/default/$e/port")" 5432 \
	    "$e: extract keeps a number's JSON text"
	is "$(cat "$OUT/default/$e/found-tls-key")" "bin-$CANARY" \
	    "$e: find by tag"
	nok "$e: find leaves other tags out" test -e "$OUT/default/$e/found-other"
done
is "$(emu_count AssumeRoleWithOIDC)" 1 \
    "one STS exchange serves both RRSA ExternalSecrets"

# The heap: responses pass through libcurl's and OpenSSL's buffers, which
# must be zeroed when freed, like ours.  kms-rrsa is a store's name.
check_remnants "$CANARY" kms-rrsa --manifests "$M" \
    --output-dir "$T/out-remnants" --provider-dir "$P" \
    --allow-endpoint "https://127.0.0.1:*" --ca-file "$T/certs/ca.pem" \
    --once

# Rotation: a new version becomes ACSCurrent.
emu PUT "/_emu/secret?name=app-password" \
    "{\"id\":\"v3\",\"data\":\"rot-$CANARY\"}" >/dev/null
run
is "$(cat "$OUT/default/ak/password")" "rot-$CANARY" "a rotated value is synced"
is "$(cat "$OUT/default/ak/previous")" "new-$CANARY" "and ACSPrevious moves"

# STS expiry with a rotated token file: the daemon re-reads the file.
TOKEN=eyJhbGciOiJSUzI1NiJ9.oidc-token-two.sig
printf '%s' "$TOKEN" >"$T/token"
emu POST /_emu/sts-expire >/dev/null
emu POST /_emu/reset-stats >/dev/null
start_daemon --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
    --allow-endpoint "https://127.0.0.1:*" --ca-file "$T/certs/ca.pem" \
    --log-level debug
ok "the daemon syncs with the rotated token" \
    wait_for 20 sh -c "[ \"\$(curl -sf --cacert $T/certs/ca.pem $emu_url/_emu/stats | tr -d ' \n' | sed -n 's/.*\"AssumeRoleWithOIDC\":{\"codes\":{\"OK\":\([0-9]*\).*/\1/p')\" -ge 1 ]"
emu POST /_emu/sts-expire >/dev/null
kill -HUP "$daemon_pid"
sleep 2
stop_daemon TERM
is "$rc" 0 "the daemon exits cleanly"
cat "$T/log" >>"$T/all.log"
unlike "$T/log" "InvalidSecurityToken" "expired STS credentials are refreshed, not reported"

# Throttling: with one worker, the first call is refused twice (once with
# the gateway's TimeLeft hint), and the provider's backoff gets it through.
emu POST /_emu/reset-stats >/dev/null
emu POST /_emu/fault '{"action":"GetSecretValue","mode":"throttle","count":1}' >/dev/null
emu POST /_emu/fault '{"action":"GetSecretValue","mode":"throttle","count":1,"code":"Throttling.User","time_left_ms":50}' >/dev/null
run --concurrency 1
is "$rc" 0 "syncs survive throttling (retried with backoff)"
is "$(emu GET /_emu/stats | tr -d ' \n' |
    sed 's/.*"codes":{\([^}]*\)},"total":[0-9]*}$/\1/' |
    grep -o 'Throttling[A-Za-z.]*":[0-9]*' | sed 's/.*://' |
    awk '{ s += $1 } END { print s + 0 }')" 2 \
    "both throttled answers were seen and retried"
emu DELETE /_emu/fault >/dev/null

# A full outage: the last good values stay and the status explains.
emu POST /_emu/fault '{"action":"*","mode":"5xx"}' >/dev/null
run
is "$rc" 1 "an outage fails the sync"
is "$(cat "$OUT/default/ak/password")" "rot-$CANARY" "the last good value is kept"
like "$T/stdout" '^default +ak +kms +False +SecretSyncedError' "the status says why"
cp "$T/status.json" "$T/status1.json"
run
is "$(grep -v -E 'Time|refreshTime' "$T/status.json" | md5sum)" \
    "$(grep -v -E 'Time|refreshTime' "$T/status1.json" | md5sum)" \
    "the status does not churn between two failing runs"
emu DELETE /_emu/fault >/dev/null

# Not found, under each deletionPolicy.
{
	cat "$M/m.yaml"
	cat <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: nf-retain, namespace: default}
spec:
  secretStoreRef: {name: kms}
  target: {deletionPolicy: Retain}
  data: [{secretKey: a, remoteRef: {key: doomed}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: nf-delete, namespace: default}
spec:
  secretStoreRef: {name: kms}
  target: {deletionPolicy: Delete}
  data: [{secretKey: a, remoteRef: {key: doomed}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: nf-merge, namespace: default}
spec:
  secretStoreRef: {name: kms}
  target: {deletionPolicy: Merge}
  data:
    - {secretKey: a, remoteRef: {key: doomed}}
    - {secretKey: b, remoteRef: {key: other}}
YAML
} >"$M/nf.yaml"
rm "$M/m.yaml"
emu PUT "/_emu/secret?name=doomed" '{"id":"v1","data":"here"}' >/dev/null
run
is "$rc" 0 "the soon-deleted secret syncs"
emu DELETE "/_emu/secret?name=doomed" >/dev/null
run
is "$(cat "$OUT/default/nf-retain/a")" here "Retain keeps the target"
like "$T/stdout" '^default +nf-retain +kms +False' "Retain reports not found"
nok "Delete removes the target" test -e "$OUT/default/nf-delete"
nok "Merge drops the missing key" test -e "$OUT/default/nf-merge/a"
is "$(cat "$OUT/default/nf-merge/b")" web "Merge keeps the rest"

# Wrong key, wrong CA, endpoint outside the allow-list.
sed -i 's/ak-secret-/wrong-secret-/' "$T/emu.json"
{
	printf 'apiVersion: v1\nkind: Secret\n'
	printf 'metadata: {name: ak, namespace: default}\n'
	printf 'stringData: {id: AKIDdemo, secret: wrong}\n---\n'
	store kms SecretStore "$AK"
	store badca SecretStore "$AK" "$WRONGCA"
	store kms-rrsa ClusterSecretStore "$RRSA"
	cat <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: echoed, namespace: default}
spec:
  secretStoreRef: {name: kms-rrsa, kind: ClusterSecretStore}
  data: [{secretKey: a, remoteRef: {key: other}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: wrongkey, namespace: default}
spec:
  secretStoreRef: {name: kms}
  data: [{secretKey: a, remoteRef: {key: other}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: wrongca, namespace: default}
spec:
  secretStoreRef: {name: badca}
  data: [{secretKey: a, remoteRef: {key: other}}]
YAML
} >"$M/nf.yaml"
emu POST /_emu/fault '{"action":"AssumeRoleWithOIDC","mode":"echo"}' >/dev/null
run
like "$T/stdout" '^default +wrongkey +kms +False' "a wrong key fails"
like "$T/stderr" 'wrongkey.*(SignatureDoesNotMatch|signature|AccessKey)' \
    "the log says to check the key"
like "$T/stdout" '^default +wrongca +badca +False' "a wrong CA fails"
like "$T/stdout" '^default +echoed +kms-rrsa +False' \
    "an STS error echoing the token fails the sync"
like "$T/stderr" 'wrongca.*(TLS|SSL|certificate|verif)' "the log says it is TLS"
xs --manifests "$M" --output-dir "$OUT" --provider-dir "$P" --once
cat "$T/stderr" >>"$T/all.log"
like "$T/stderr" 'wrongkey.*(not allowed|refused|allow)' \
    "an endpoint outside the allow-list is refused"
stop_emu

unlike "$T/all.log" "$CANARY" "no secret value or key in any log"
unlike "$T/all.out" "$CANARY" "no secret value in any status or table"
unlike "$T/all.log" "oidc-token-|x-acs-signature-nonce|ACS3-HMAC-SHA256\\\\n" \
    "no OIDC token or echoed string-to-sign in any log"

done_testing
