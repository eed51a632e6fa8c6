#!/usr/bin/env bash
# Makes throw-away keys and certificates for tests in DIR (never used outside tests):
#   ca.pem/ca.key, server.pem/server.key (127.0.0.1 and localhost), client.pem/client.key
#   (signed by ca), rogue-ca.pem, rogue-client.pem/.key (signed by another CA),
#   rogue-server.pem/.key (a server certificate from the rogue CA),
#   rsa.key/rsa.pub.pem and ec.key/ec.pub.pem (P-384) for JWTs, other-rsa.key (an unknown signer).
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
q() { openssl "$@" >/dev/null 2>&1; }
q req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=NoteBridge Test CA"
q req -x509 -newkey rsa:2048 -nodes -keyout rogue-ca.key -out rogue-ca.pem -days 2 -subj "/CN=Rogue CA"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
q req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
q x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
q req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=practice-client"
q x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext
q req -newkey rsa:2048 -nodes -keyout rogue-client.key -out rogue-client.csr -subj "/CN=rogue"
q x509 -req -in rogue-client.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -out rogue-client.pem -days 2 -extfile client.ext
q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
q pkey -in rsa.key -pubout -out rsa.pub.pem
q genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec.key
q pkey -in ec.key -pubout -out ec.pub.pem
q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-rsa.key
q genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key
q pkey -in p256.key -pubout -out p256.pub.pem
# A server certificate from the rogue CA: what a client trusting only ca.pem must refuse.
q req -newkey rsa:2048 -nodes -keyout rogue-server.key -out rogue-server.csr -subj "/CN=localhost"
q x509 -req -in rogue-server.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -out rogue-server.pem -days 2 -extfile server.ext
