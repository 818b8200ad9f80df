#!/usr/bin/env bash
# Certificates for the HTTPS test (sts_https), made at test time with openssl: no
# private key is ever committed. The plugin checks STS's certificate against the
# operating system's trust store, so the test CA is added to it for that test only.
#
#   test_ca.sh make DIR    DIR/ca.pem: a test CA; certificates (NAME.pem, NAME.key) for
#                          good       localhost, from the test CA
#                          other_name sts.other.example, from the test CA
#                          expired    localhost, from the test CA, expired in 2020
#                          unknown_ca localhost, from a second CA nobody trusts
#   test_ca.sh trust DIR   adds DIR/ca.pem to the system trust store
#   test_ca.sh untrust     removes it again (harmless if it is not there)
set -euo pipefail
STORE_FILE=/usr/local/share/ca-certificates/auth_awsiam-mtr-test-ca.crt

ca() { # DIR NAME SUBJECT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1/$2.key" -out "$1/$2.pem" -days 2 -subj "/CN=$3" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() { # DIR NAME CA DNS-NAME [openssl x509 date options]
  local dir=$1 name=$2 issuer=$3 dns=$4
  shift 4
  [ $# -gt 0 ] || set -- -days 2
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$dns" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
    "$dns" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$issuer.pem" -CAkey "$dir/$issuer.key" \
    -CAcreateserial -out "$dir/$name.pem" -extfile "$dir/$name.ext" "$@" 2>/dev/null
}

case "${1:-}" in
  make)
    dir=$2
    rm -rf "$dir"
    mkdir -p "$dir"
    ca "$dir" ca "auth_awsiam MTR test CA"
    ca "$dir" other_ca "auth_awsiam MTR untrusted CA"
    leaf "$dir" good ca localhost
    leaf "$dir" other_name ca sts.other.example
    # openssl 3.4 or later (Debian sid has it).
    leaf "$dir" expired ca localhost -not_before 20200101000000Z -not_after 20200102000000Z
    leaf "$dir" unknown_ca other_ca localhost
    ;;
  trust)
    install -m 0644 "$2/ca.pem" "$STORE_FILE"
    update-ca-certificates >/dev/null 2>&1
    ;;
  untrust)
    if [ -e "$STORE_FILE" ]; then
      rm -f "$STORE_FILE"
      update-ca-certificates --fresh >/dev/null 2>&1
    fi
    ;;
  *)
    echo "usage: test_ca.sh make DIR | trust DIR | untrust" >&2
    exit 2
    ;;
esac
