#!/bin/sh
# per-pod-services.sh N [TYPE] [NODE_PORT_BASE]: prints one Service per pod of the StatefulSet kd, selecting
# it by the label the StatefulSet controller puts on every pod (statefulset.kubernetes.io/pod-name: kd-I), so
# that each student reaches their own target from outside the cluster.
#   TYPE            NodePort (default): kd-I on every node's NODE_PORT_BASE+I (default 30700: kd-0 on 30700);
#                   LoadBalancer: an address per pod, port 7725; ClusterIP: in-cluster names kd-I-svc:7725.
#   Deploy/kubernetes/per-pod-services.sh 30 | kubectl apply -f -
# Then: kd --connect NODE:30703 --fingerprint <kd-3's, from its log> --token-file <kd-3's token>.
# externalTrafficPolicy: Local keeps the client's address, for the NetworkPolicy's ipBlock (networkpolicy.yaml).
set -eu
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
n=$1
type=${2:-NodePort}
base=${3:-30700}
case "$n$base" in '' | *[!0-9]*) usage ;; esac
case "$type" in NodePort | LoadBalancer | ClusterIP) ;; *) usage ;; esac
if [ "$type" = NodePort ] && { [ "$base" -lt 30000 ] || [ $((base + n - 1)) -gt 32767 ]; }; then
  echo "per-pod-services.sh: node ports $base..$((base + n - 1)) leave the default range 30000-32767" >&2
  exit 2
fi
i=0
while [ "$i" -lt "$n" ]; do
  echo "---"
  cat <<YAML
apiVersion: v1
kind: Service
metadata:
  name: kd-$i-svc
  namespace: kd-fleet
  labels:
    app.kubernetes.io/name: kdserver
    app.kubernetes.io/part-of: swift-kd
spec:
  type: $type
YAML
  [ "$type" = ClusterIP ] || echo "  externalTrafficPolicy: Local"
  cat <<YAML
  selector:
    app.kubernetes.io/name: kdserver
    statefulset.kubernetes.io/pod-name: kd-$i
  ports:
    - name: kd
      port: 7725
      targetPort: kd
      protocol: TCP
YAML
  [ "$type" != NodePort ] || echo "      nodePort: $((base + i))"
  i=$((i + 1))
done
