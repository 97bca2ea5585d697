#!/bin/sh
# SIGHUP under load: reloads in the middle of a cold sync neither lose nor
# duplicate work.  The real daemon and alibaba.so against the emulator,
# which answers slowly so that the reloads land while most syncs wait; the
# emulator's own count of GetSecretValue says how many calls were made.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir alibaba) || skip_all "alibaba provider not built"
command -v curl >/dev/null || skip_all "curl is not installed"
M=$T/m
OUT=$T/out
N=120
mkdir -p "$M"
start_keys_emu AKIDreload reload-secret "$N"

{
	cat <<YAML
apiVersion: v1
kind: Secret
metadata: {name: ak, namespace: default}
stringData: {id: AKIDreload, secret: reload-secret}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: kms, namespace: default}
spec:
  provider:
    alibaba:
      regionID: cn-hangzhou
      endpoint: $emu_url
      caBundle: $(base64 -w0 "$T/certs/ca.pem")
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: ak, key: id}
          accessKeySecretSecretRef: {name: ak, key: secret}
YAML
	i=0
	while [ $i -lt $N ]; do
		cat <<YAML
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: es$i, namespace: default}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: kms, kind: SecretStore}
  target: {name: t$i}
  data:
    - secretKey: v
      remoteRef: {key: k$i}
YAML
		i=$((i + 1))
	done
} >"$M/all.yaml"

# 120 calls of 50 ms on 4 workers: a cold sync of about 1.5 s.
emu POST /_emu/fault \
    '{"action":"GetSecretValue","mode":"latency","latency_ms":50}' \
    >/dev/null || skip_all "the emulator refused the fault"
start_daemon --manifests "$M" --output-dir "$OUT" --provider-dir "$P" \
    --concurrency 4 --metrics-addr 127.0.0.1:0 \
    --allow-endpoint "https://127.0.0.1:$emu_port" \
    --status-file "$T/status.json"
port=$(daemon_metrics_port) || port=0
ok "the daemon serves metrics" wait_for 10 \
    curl -sf "http://127.0.0.1:$port/healthz"
sleep 0.3
kill -HUP "$daemon_pid"
sleep 0.2
kill -HUP "$daemon_pid"
# A reload that changes nothing the ExternalSecrets use.
printf '# touched\n' >>"$M/all.yaml"
sleep 0.2
kill -HUP "$daemon_pid"
nok "the reloads land in the middle of the round" \
    curl -sf "http://127.0.0.1:$port/readyz"
ok "the first round ends despite three reloads" wait_for 30 \
    curl -sf "http://127.0.0.1:$port/readyz"
synced=0
i=0
while [ $i -lt $N ]; do
	[ "$(cat "$OUT/default/t$i/v" 2>/dev/null)" = "value-$i" ] &&
	    synced=$((synced + 1))
	i=$((i + 1))
done
is "$synced" $N "every target written, none lost"
is "$(emu_count GetSecretValue)" $N "one call per ExternalSecret, none twice"
sleep 1
is "$(emu_count GetSecretValue)" $N "and no call after the round"
curl -sf "http://127.0.0.1:$port/metrics" >"$T/metrics"
like "$T/metrics" \
    '^externalsecret_sync_calls_total\{name="es0",namespace="default"\} 1$' \
    "es0 synced exactly once"
unlike "$T/metrics" \
    '^externalsecret_sync_calls_total\{[^}]*\} ([02-9]|[1-9][0-9])' \
    "no ExternalSecret synced twice"
stop_daemon TERM
is "$rc" 0 "a clean exit"
unlike "$T/log" 'ERROR: (Address|Leak|Undefined)Sanitizer' \
    "sanitizers are quiet"
stop_emu

done_testing
