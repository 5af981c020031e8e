#!/bin/sh
# tokens.sh N [NAME]: prints the Secret kdserver-tokens with one fresh token (openssl rand -hex 16, 128 bits)
# per pod of the StatefulSet NAME (default kd): keys kd-0 ... kd-(N-1), the pod names; the pod's init container
# installs its own as its --token-file. Keep the output private (it holds every token):
#   (umask 077; Deploy/kubernetes/tokens.sh 30 > tokens.yaml) && kubectl apply -f tokens.yaml
# A student's token: kubectl -n kd-fleet get secret kdserver-tokens -o jsonpath='{.data.kd-3}' | base64 -d
# A new token takes effect when the pod restarts (kubectl -n kd-fleet delete pod kd-3).
set -eu
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
n=$1
name=${2:-kd}
case "$n" in '' | *[!0-9]*) usage ;; esac
case "$name" in '' | *[!a-z0-9-]*) usage ;; esac
cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: kdserver-tokens
  namespace: kd-fleet
  labels:
    app.kubernetes.io/name: kdserver
    app.kubernetes.io/part-of: swift-kd
type: Opaque
stringData:
YAML
i=0
while [ "$i" -lt "$n" ]; do
  echo "  $name-$i: \"$(openssl rand -hex 16)\""
  i=$((i + 1))
done
