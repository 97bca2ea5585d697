#!/bin/sh
# Makes the TLS material for emulator tests in DIR (created if needed):
#   ca.pem, ca.key          a test CA
#   server.pem, server.key  a server certificate signed by it, for
#                           127.0.0.1 and localhost (subjectAltName)
#   wrong-ca.pem            another CA, which did not sign the server: a
#                           client trusting only it must refuse the server
# Keys are made at test time and never committed.  Needs the openssl CLI.
#
# usage: mkcerts.sh DIR
set -eu

if [ $# -ne 1 ]; then
	echo "usage: mkcerts.sh DIR" >&2
	exit 2
fi
dir=$1
mkdir -p "$dir"
umask 077
cd "$dir"

mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
	    -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

mkca ca "xsecrets test CA"
mkca wrong-ca "xsecrets wrong CA"
rm -f wrong-ca.key

openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key \
    -out server.csr -subj "/CN=localhost" 2>/dev/null
cat > server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
    -CAcreateserial -days 2 -sha256 -extfile server.ext \
    -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem wrong-ca.pem server.pem
