#!/bin/sh
# The Alibaba provider against the KMS+STS emulator, through
# xsecrets-conformance's passthrough HTTP: the fixtures point every store's
# endpoint (and STS, through the fixtures' env) at emulators on loopback,
# one over HTTP and one over HTTPS with a test CA, and the harness must
# pass every check at the strict level with real, signed requests: valid
# and invalid stores, AccessKey (V3 and V1 signatures) and RRSA auth, an
# existing key, a missing key as exactly not found, repeated and
# concurrent get_secret.  Then the same run with an allow list that does
# not admit the emulator, and with the wrong CA, must fail, which shows
# that the requests did reach the network and that TLS is verified.
# Ports are picked by the kernel and read back from the port files.
. "$top_srcdir/tests/integration/lib.sh"

H=$top_builddir/xsecrets-conformance
umask 022
chmod 700 "$T"
emu_pids=
trap 'for p in $emu_pids; do kill "$p"; wait "$p"; done 2>/dev/null; cleanup' \
    EXIT
trap 'exit 1' INT TERM

# emulator NAME ARGS...: starts one with --verbose, its log in $T/NAME.log
# (one line per answer); sets port.
emulator() {
	name=$1
	shift
	start_emu "$T/emu.json" --verbose "$@" ||
	    skip_all "the $name emulator did not start"
	mv "$T/emu.out" "$T/$name.log"
	emu_pids="$emu_pids $emu_pid"
	port=$emu_port
}

sh "$top_srcdir/tests/emulators/mkcerts.sh" "$T/tls" >/dev/null ||
    skip_all "cannot make test certificates"
printf 'eyJhbGciOiJSUzI1NiJ9.conformance-oidc-token.sig\n' >"$T/token"
cat >"$T/emu.json" <<JSON
{
  "access_keys": [
    {"id": "LTAIconformanceid", "secret": "conformance-access-key-secret"}
  ],
  "secrets": {
    "db-password": {"versions": [
      {"id": "v1", "stages": ["ACSCurrent"], "data": "emu-old-pass"},
      {"id": "v2", "stages": ["ACSCurrent"], "data": "emu-db-pass"}]},
    "db-config": {"versions": [{"id": "c1", "stages": ["ACSCurrent"],
      "data": "{\"user\":\"app\",\"password\":\"emu-json-pass\"}"}]},
    "blob": {"versions": [{"id": "b1", "stages": ["ACSCurrent"],
      "type": "binary", "data": "ZW11LWJpbmFyeS1wYXNz"}]}
  },
  "oidc": {
    "provider_arn": "acs:ram::1234567890:oidc-provider/ack-rrsa",
    "role_arn": "acs:ram::1234567890:role/reader",
    "token_file": "$T/token"
  }
}
JSON

emulator http
HP=$port
emulator https --tls-cert "$T/tls/server.pem" --tls-key "$T/tls/server.key"
SP=$port
CA=$(base64 -w 0 "$T/tls/ca.pem")
WRONG=$(base64 -w 0 "$T/tls/wrong-ca.pem")

AK='"auth": {"secretRef": {
  "accessKeyIDSecretRef": {"name": "ali-creds", "key": "id"},
  "accessKeySecretSecretRef": {"name": "ali-creds", "key": "secret"}}}'

# fixtures FILE ALLOW CABUNDLE: the fixtures, with ALLOW as http.allow
# (JSON strings) and CABUNDLE as the HTTPS store's caBundle.
fixtures() {
	cat >"$1" <<JSON
{
  "http": {"mode": "passthrough", "allow": [$2]},
  "env": {"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:$HP"},
  "stores": [
    {"name": "kms", "config": {
      "regionID": "cn-hangzhou", "endpoint": "http://127.0.0.1:$HP",
      $AK}},
    {"name": "kms-v1", "config": {
      "regionID": "cn-hangzhou", "endpoint": "http://127.0.0.1:$HP",
      "signatureVersion": "v1",
      $AK}},
    {"name": "kms-tls", "config": {
      "regionID": "cn-hangzhou", "endpoint": "https://127.0.0.1:$SP",
      "caBundle": "$3",
      $AK}},
    {"name": "rrsa", "cluster": true, "config": {
      "regionID": "cn-hangzhou", "endpoint": "http://127.0.0.1:$HP",
      "auth": {"rrsa": {
        "oidcProviderArn": "acs:ram::1234567890:oidc-provider/ack-rrsa",
        "roleArn": "acs:ram::1234567890:role/reader",
        "oidcTokenFilePath": "$T/token",
        "sessionName": "conformance"
      }}}},
    {"name": "no-region", "valid": false, "config": {
      "endpoint": "http://127.0.0.1:$HP",
      $AK}},
    {"name": "no-auth", "valid": false, "config": {
      "regionID": "cn-hangzhou", "endpoint": "http://127.0.0.1:$HP"}},
    {"name": "endpoint-path", "valid": false, "config": {
      "regionID": "cn-hangzhou", "endpoint": "http://127.0.0.1:$HP/kms",
      $AK}},
    {"name": "no-creds", "auth": "AUTH", "config": {
      "regionID": "cn-hangzhou", "endpoint": "http://127.0.0.1:$HP",
      "auth": {"secretRef": {
        "accessKeyIDSecretRef": {"name": "missing", "key": "id"},
        "accessKeySecretSecretRef": {"name": "missing", "key": "secret"}
      }}}}
  ],
  "credentials": [
    {"name": "ali-creds", "key": "id", "value": "LTAIconformanceid"},
    {"name": "ali-creds", "key": "secret",
     "value": "conformance-access-key-secret"}
  ],
  "secrets": [
    {"store": "kms", "key": "db-password", "value": "emu-db-pass"},
    {"store": "kms", "key": "db-password", "version": "stage:ACSPrevious",
     "value": "emu-old-pass"},
    {"store": "kms", "key": "db-password", "version": "v1",
     "value": "emu-old-pass"},
    {"store": "kms", "key": "db-config", "property": "password",
     "value": "emu-json-pass"},
    {"store": "kms", "key": "db-config",
     "map": {"user": "app", "password": "emu-json-pass"}},
    {"store": "kms", "key": "blob", "value": "emu-binary-pass"},
    {"store": "kms-v1", "key": "db-password", "value": "emu-db-pass"},
    {"store": "kms-tls", "key": "db-password", "value": "emu-db-pass"},
    {"store": "rrsa", "key": "db-config", "property": "password",
     "value": "emu-json-pass"}
  ],
  "missing": [
    {"store": "kms", "key": "absent"},
    {"store": "kms", "key": "db-config", "property": "nope"},
    {"store": "kms", "key": "db-password", "version": "v9"},
    {"store": "kms-v1", "key": "absent"},
    {"store": "rrsa", "key": "absent"}
  ],
  "secret_words": ["conformance-oidc-token"],
  "faults": {"404": "INVALID"}
}
JSON
}

mkdir "$T/mods"
chmod 755 "$T/mods"
cp "$top_builddir/providers/alibaba/.libs/alibaba.so" "$T/mods/" &&
    chmod 644 "$T/mods/alibaba.so" || skip_all "alibaba.so is not built"
M=$T/mods/alibaba.so

# run NAME FIXTURES: the harness at the strict level; sets rc and got (the
# ids of the failed checks).
run() {
	"$H" --level strict --timeout 120 --fixtures "$2" "$M" \
	    >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	got=$(sed -n 's/^not ok [0-9]* - \([A-Z]*-[0-9]*\) .*/\1/p' \
	    "$T/$1.out" | tr '\n' ' ' | sed 's/ $//')
}

ALLOW="\"http://127.0.0.1:$HP\", \"https://127.0.0.1:$SP\""
fixtures "$T/good.fixtures" "$ALLOW" "$CA"
run good "$T/good.fixtures"
is "$rc [$got]" "0 []" "alibaba.so passes every check against the emulator"
unlike "$T/good.out" '# SKIP' "no check is skipped"

# The checks really talked to the emulators: signed requests were
# accepted over HTTP and HTTPS, RRSA made its exchange, and missing keys
# were asked for.
like "$T/http.log" 'GetSecretValue -> 200' \
    "the HTTP emulator served GetSecretValue"
like "$T/http.log" 'AssumeRoleWithOIDC -> 200' \
    "the HTTP emulator served AssumeRoleWithOIDC"
like "$T/http.log" 'GetSecretValue -> 404 Forbidden.ResourceNotFound' \
    "the HTTP emulator was asked for missing keys"
like "$T/https.log" 'GetSecretValue -> 200' \
    "the HTTPS emulator served GetSecretValue"
unlike "$T/http.log" 'Signature|TimeStamp|Nonce|InvalidAccessKey' \
    "the emulator refused no signature, timestamp or nonce"

# An allow list that does not admit the emulators: every fetch is refused
# before it leaves the harness, as the daemon refuses such an endpoint.
fixtures "$T/closed.fixtures" '"https://*.aliyuncs.com"' "$CA"
run closed "$T/closed.fixtures"
like "$T/closed.out" '^not ok .* CONTRACT-005 ' \
    "outside http.allow, get_secret fails"
like "$T/closed.out" "DENIED \\(endpoint http://127.0.0.1:$HP is not in" \
    "outside http.allow, the request is refused as DENIED"

# The HTTPS store with a CA that did not sign the emulator's certificate:
# its fetch fails on verification.
fixtures "$T/wrongca.fixtures" "$ALLOW" "$WRONG"
run wrongca "$T/wrongca.fixtures"
like "$T/wrongca.out" 'UNAVAILABLE \(endpoint 127.0.0.1:[0-9]+: SSL cert' \
    "TLS is verified against the request's CA bundle"

done_testing
