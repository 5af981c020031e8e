#!/bin/sh
# make-certs.sh: a private CA, a server certificate and client certificates for kdserver, with the openssl CLI.
#
# Usage: make-certs.sh [-o DIR] [-H HOST_OR_IP]... [-c CLIENT]... [-d DAYS]
#   -o DIR     output directory (default ./kd-certs); created 0700
#   -H NAME    a DNS name or IP address the server certificate is valid for (repeatable;
#              default: localhost 127.0.0.1 ::1)
#   -c NAME    make a client certificate with CN=NAME (repeatable; default: kd)
#   -d DAYS    validity (default 825)
#
# Writes (keys 0600, EC P-256):
#   DIR/ca.pem, DIR/ca-key.pem                 the CA (reused if present, so clients can be added later)
#   DIR/server.pem, DIR/server-key.pem         kdserver --cert / --key
#   DIR/client-NAME.pem, DIR/client-NAME-key.pem  kd --cert / --key; kdserver --client-ca DIR/ca.pem
# Prints the server certificate's SHA-256 fingerprint (for clients that pin instead of using the CA).
#
# Run it where the CA key may live (an administrator's machine), not on the kdserver host: the server needs
# only server.pem, server-key.pem and ca.pem (docs/DEPLOY.md, "Certificates"); each client-NAME-key.pem goes
# to its user only.
set -eu

out=./kd-certs
hosts=""
clients=""
days=825
while getopts "o:H:c:d:h" opt; do
  case "$opt" in
    o) out=$OPTARG ;;
    H) hosts="$hosts $OPTARG" ;;
    c) clients="$clients $OPTARG" ;;
    d) days=$OPTARG ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
done
[ -n "$hosts" ] || hosts="localhost 127.0.0.1 ::1"
[ -n "$clients" ] || clients="kd"

umask 077
mkdir -p "$out"
chmod 700 "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# Signs $1.csr with the CA into $1.pem using extension file $2.
sign() {
  openssl x509 -req -in "$tmp/req.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days "$days" -sha256 -extfile "$2" -out "$1" 2>/dev/null
}

if [ ! -f "$out/ca.pem" ] || [ ! -f "$out/ca-key.pem" ]; then
  newkey "$out/ca-key.pem"
  openssl req -x509 -new -key "$out/ca-key.pem" -sha256 -days 3650 -subj "/CN=kdserver test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.pem"
  echo "made CA $out/ca.pem"
fi

san=""
for h in $hosts; do
  case "$h" in
    *:* | [0-9]*.[0-9]*.[0-9]*.[0-9]*) entry="IP:$h" ;;
    *) entry="DNS:$h" ;;
  esac
  san="${san:+$san,}$entry"
done
first=$(echo $hosts | cut -d' ' -f1)

newkey "$out/server-key.pem"
openssl req -new -key "$out/server-key.pem" -subj "/CN=$first" -out "$tmp/req.csr"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
  "$san" >"$tmp/server.ext"
sign "$out/server.pem" "$tmp/server.ext"
echo "made server certificate $out/server.pem for $san"

printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$tmp/client.ext"
for c in $clients; do
  newkey "$out/client-$c-key.pem"
  openssl req -new -key "$out/client-$c-key.pem" -subj "/CN=$c" -out "$tmp/req.csr"
  sign "$out/client-$c.pem" "$tmp/client.ext"
  echo "made client certificate $out/client-$c.pem (CN=$c)"
done

# Every key 0600 (the CA's too), every certificate 0644; `client-*.pem` alone would match the client keys.
for f in "$out"/*.pem; do
  case "$f" in
    *-key.pem) chmod 600 "$f" ;;
    *) chmod 644 "$f" ;;
  esac
done
openssl x509 -in "$out/server.pem" -noout -fingerprint -sha256 | sed 's/^.*=/server fingerprint: SHA256:/'
