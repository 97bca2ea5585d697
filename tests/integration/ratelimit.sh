#!/bin/sh
# A store's rate limit, as the server sees it: a cold start of many
# ExternalSecrets against the Alibaba emulator, whose /_emu/busiest counts
# the KMS requests in the busiest 100 ms and second.  The configured rate
# and the module's default (100 a second, KMS allowing 450) must both hold
# from the first request on, and the limit must really bite.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir alibaba) || skip_all "alibaba provider not built"
command -v curl >/dev/null || skip_all "curl is not installed"
N=300
start_keys_emu AKIDrate s "$N"

# manifests DIR COUNT [ANNOTATIONS]: one store (with ANNOTATIONS, a flow
# mapping's inside) and COUNT ExternalSecrets, each with a key of its own.
manifests() {
	rm -rf "$1"
	mkdir -p "$1"
	cat >"$1/store.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: ak, namespace: default}
stringData: {id: AKIDrate, secret: s}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: kms
  namespace: default
  annotations: {${3:-}}
spec:
  provider:
    alibaba:
      regionID: cn-hangzhou
      endpoint: $emu_url
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: ak, key: id}
          accessKeySecretSecretRef: {name: ak, key: secret}
YAML
	i=0
	while [ "$i" -lt "$2" ]; do
		cat <<YAML
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: es-$i, namespace: default}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: kms, kind: SecretStore}
  data: [{secretKey: v, remoteRef: {key: k$i}}]
YAML
		i=$((i + 1))
	done >"$1/es.yaml"
}

# busiest I: the most KMS requests in window I (0: 100 ms, 1: 1 s).
busiest() {
	emu GET /_emu/busiest | tr -d ' \n' |
	    sed -n 's/.*"busiest":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/p' |
	    cut -d' ' -f$(($1 + 1))
}

# windows WHAT RATE BURST: the emulator's busiest 100 ms and second hold
# at most what the limit lets through.  The daemon starts at most rate *
# width + burst requests in any window, and one for rounding; the
# emulator notes each when its handler runs, some milliseconds later on a
# loaded machine (tens under the sanitizers), so that its busiest window
# may hold what the daemon started in up to 200 ms more.  Under valgrind,
# which runs the daemon's threads one at a time, a request may go out a
# second after its thread passed the limit: the windows are reported, not
# checked.
windows() {
	for w in 0 1; do
		width=$((w == 0 ? 100 : 1000))
		most=$(($2 * (width + 200) / 1000 + $3 + 1))
		b=$(busiest "$w")
		if [ -n "$xs_valgrind" ]; then
			skip "$1: busiest $width ms ($b): under valgrind"
			continue
		fi
		ok "$1: at most $most in the busiest $width ms ($b)" \
		    test "$b" -le "$most"
	done
}

# cold COUNT RATE BURST [ANNOTATIONS]: a cold start of COUNT objects, at
# most RATE a second, each fetched once.
cold() {
	manifests "$T/m" "$1" "${4:-}"
	emu POST /_emu/reset-stats >/dev/null
	t0=$(date +%s%N)
	xs --manifests "$T/m" --output-dir "$T/out" --provider-dir "$P" \
	    --allow-endpoint "https://127.0.0.1:*" \
	    --ca-file "$T/certs/ca.pem" --concurrency 32 --once
	ms=$((($(date +%s%N) - t0) / 1000000))
	is "$rc" 0 "rate $2: $1 objects synced"
	is "$(emu_count GetSecretValue)" "$1" "rate $2: one call each"
	windows "rate $2" "$2" "$3"
	least=$(((($1 - $3) * 1000 / $2) - 100))
	ok "rate $2: the limit bites: $ms ms, at least $least" \
	    test "$ms" -ge "$least"
}

cold 60 20 2 'xsecrets.io/rate-limit: "20"'
cold "$N" 100 10

# One dataFrom.find is one provider call that lists the secrets and then
# fetches each match: 60 of the 300 here, and the list's pages.  Every
# request it makes takes a token of its own, not only the call.
manifests "$T/m" 0 'xsecrets.io/rate-limit: "20"'
cat >"$T/m/es.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: found, namespace: default}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: kms, kind: SecretStore}
  dataFrom: [{find: {name: {regexp: "^k[1-5]?[0-9]$"}}}]
YAML
emu POST /_emu/reset-stats >/dev/null
t0=$(date +%s%N)
xs --manifests "$T/m" --output-dir "$T/out" --provider-dir "$P" \
    --allow-endpoint "https://127.0.0.1:*" --ca-file "$T/certs/ca.pem" --once
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 0 "find: synced"
is "$(ls "$T/out/default/found" | grep -c '^k')" 60 "find: 60 keys written"
gets=$(emu_count GetSecretValue)
lists=$(emu_count ListSecrets)
is "$gets" 60 "find: 60 fetches"
windows find 20 2
least=$((((gets + lists - 2) * 1000 / 20) - 100))
desc="find: the limit bites: $ms ms for $((gets + lists)) requests"
ok "$desc (at least $least)" test "$ms" -ge "$least"

done_testing
