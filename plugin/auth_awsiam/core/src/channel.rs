//! TLS channel binding of a challenge answer: the `tls-server-end-point` value of RFC 5929
//! (section 4), a hash of the server certificate the client saw in its TLS handshake.
//!
//! The client signs it; the server compares it with the hash of its own certificate. A
//! relay that terminates the client's TLS shows the client its own certificate, so an
//! answer obtained through it names the relay's certificate and the real server refuses it,
//! even when DNS sent the client there and the client signed the real server's name.
//!
//! Wire form (the `x-auth-awsiam-channel` header, and the answer's channel field):
//! `tls-server-end-point:` then base64url (no padding) of the hash. The hash function is
//! RFC 5929's: the certificate's signature hash, with MD5 and SHA-1 replaced by SHA-256.
//! Where RFC 5929 names none (RSASSA-PSS, EdDSA, SHA-224), this protocol uses SHA-256 too
//! (the client and the server both compute it here, so they always agree).
//!
//! Both sides get the certificate as DER from their TLS library and call
//! [`tls_server_end_point`]; only the outer structure of the certificate is read, never
//! trusted: this is a fingerprint, not a certificate check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The channel binding type, RFC 5929, and the value's prefix.
pub const TLS_SERVER_END_POINT: &str = "tls-server-end-point";
/// Largest certificate hashed (real ones are a few kilobytes; MySQL's own test certificates
/// with 8192-bit keys are under 3 KB).
pub const MAX_CERTIFICATE_LEN: usize = 64 * 1024;
/// Longest value on the wire: the prefix, ':' and 64 bytes (SHA-512) in base64url.
pub const MAX_VALUE_LEN: usize = TLS_SERVER_END_POINT.len() + 1 + 86;

/// The hash functions a value may be made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// Signature algorithm OIDs (DER contents) whose hash is SHA-384 or SHA-512; every other
/// algorithm (MD5, SHA-1, SHA-256 and those RFC 5929 does not cover) hashes with SHA-256.
const SHA384_SIGNATURES: [&[u8]; 2] = [
    // sha384WithRSAEncryption 1.2.840.113549.1.1.12
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c],
    // ecdsa-with-SHA384 1.2.840.10045.4.3.3
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
];
const SHA512_SIGNATURES: [&[u8]; 2] = [
    // sha512WithRSAEncryption 1.2.840.113549.1.1.13
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d],
    // ecdsa-with-SHA512 1.2.840.10045.4.3.4
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
];

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;

/// One DER element: its tag, its contents, and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: 1 to 3 length bytes are enough for MAX_CERTIFICATE_LEN.
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) + usize::from(b));
        // DER: the shortest form only.
        if len < 0x80 || bytes[0] == 0 {
            return None;
        }
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (contents, after) = rest.split_at(len);
    Some((tag, contents, after))
}

/// The signature algorithm OID of an X.509 certificate:
/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier,
/// signatureValue }`, `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters }`.
fn signature_algorithm(cert: &[u8]) -> Option<&[u8]> {
    let (tag, certificate, trailing) = element(cert)?;
    if tag != SEQUENCE || !trailing.is_empty() {
        return None;
    }
    let (tag, _, rest) = element(certificate)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, algorithm, _) = element(rest)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, oid, _) = element(algorithm)?;
    (tag == OID && !oid.is_empty()).then_some(oid)
}

fn hash_for(oid: &[u8]) -> Hash {
    if SHA384_SIGNATURES.contains(&oid) {
        Hash::Sha384
    } else if SHA512_SIGNATURES.contains(&oid) {
        Hash::Sha512
    } else {
        Hash::Sha256
    }
}

/// The channel binding value of a server certificate (DER), as signed and compared.
pub fn tls_server_end_point(cert_der: &[u8]) -> Result<String, String> {
    if cert_der.is_empty() {
        return Err("the TLS library gave no server certificate".into());
    }
    if cert_der.len() > MAX_CERTIFICATE_LEN {
        return Err(format!(
            "the server certificate has {} bytes, more than the limit of {MAX_CERTIFICATE_LEN}",
            cert_der.len()
        ));
    }
    let oid = signature_algorithm(cert_der)
        .ok_or("the server certificate is not a DER X.509 certificate")?;
    let hash = hash_for(oid).digest(cert_der);
    Ok(format!(
        "{TLS_SERVER_END_POINT}:{}",
        URL_SAFE_NO_PAD.encode(hash)
    ))
}

/// Whether `s` has the form of a channel binding value (for the answer's decoder).
pub fn is_value(s: &str) -> bool {
    let Some(b64) = s
        .strip_prefix(TLS_SERVER_END_POINT)
        .and_then(|r| r.strip_prefix(':'))
    else {
        return false;
    };
    s.len() <= MAX_VALUE_LEN
        && URL_SAFE_NO_PAD
            .decode(b64)
            .is_ok_and(|h| matches!(h.len(), 32 | 48 | 64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A DER element with a short or long length.
    fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = contents.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend([0x81, n as u8]);
        } else if n < 0x10000 {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        } else {
            out.extend([0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(contents);
        out
    }

    /// The outline of a certificate: a TBS blob, an algorithm, a signature.
    fn cert(oid: &[u8], tbs_len: usize) -> Vec<u8> {
        let tbs = der(SEQUENCE, &vec![0x05; tbs_len]);
        let mut alg = der(OID, oid);
        alg.extend(der(0x05, &[]));
        let mut body = tbs;
        body.extend(der(SEQUENCE, &alg));
        body.extend(der(0x03, &[0, 1, 2, 3]));
        der(SEQUENCE, &body)
    }

    const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    const SHA1_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
    const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

    fn hash_len(value: &str) -> usize {
        let b64 = value.strip_prefix("tls-server-end-point:").unwrap();
        URL_SAFE_NO_PAD.decode(b64).unwrap().len()
    }

    #[test]
    fn the_hash_follows_the_signature_algorithm() {
        for (oid, len) in [
            (SHA256_RSA, 32),
            (SHA1_RSA, 32),
            (ED25519, 32),
            (SHA384_SIGNATURES[0], 48),
            (SHA384_SIGNATURES[1], 48),
            (SHA512_SIGNATURES[0], 64),
            (SHA512_SIGNATURES[1], 64),
        ] {
            for tbs_len in [10, 200, 5000] {
                let c = cert(oid, tbs_len);
                let v = tls_server_end_point(&c).unwrap();
                assert_eq!(hash_len(&v), len, "{oid:?} {tbs_len}");
                assert!(is_value(&v), "{v}");
            }
        }
    }

    #[test]
    fn the_value_is_the_hash_of_the_whole_certificate() {
        let c = cert(SHA384_SIGNATURES[1], 300);
        let expected = format!(
            "tls-server-end-point:{}",
            URL_SAFE_NO_PAD.encode(Sha384::digest(&c))
        );
        assert_eq!(tls_server_end_point(&c).unwrap(), expected);
        // Another certificate, another value.
        let other = cert(SHA384_SIGNATURES[1], 301);
        assert_ne!(tls_server_end_point(&other).unwrap(), expected);
    }

    #[test]
    fn a_real_certificate() {
        // A self-signed ECDSA P-256/SHA-256 certificate made with openssl for this test.
        let pem = include_str!("../testdata/channel_cert.pem");
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let v = tls_server_end_point(&der).unwrap();
        assert_eq!(hash_len(&v), 32);
        assert_eq!(
            v,
            format!(
                "tls-server-end-point:{}",
                URL_SAFE_NO_PAD.encode(Sha256::digest(&der))
            )
        );
    }

    /// DER lengths: the short form up to 127, the long form with 1 to 3 bytes and only
    /// when the short one would not do; an indefinite, over-long, padded or cut length is
    /// refused, never read past the input.
    #[test]
    fn lengths_are_strict_der() {
        let body = |n: usize| vec![0x05; n];
        let with = |head: &[u8], n: usize| [head, &body(n)].concat();
        // Short form, up to its largest.
        assert_eq!(
            element(&with(&[0x30, 0x7f], 0x7f)).map(|e| e.1.len()),
            Some(0x7f)
        );
        // 0x80 is the indefinite form (BER), not a length of 128.
        assert_eq!(element(&with(&[0x30, 0x80], 0x80)), None);
        // The long form from 128 on, with 1, 2 and 3 length bytes.
        assert_eq!(
            element(&with(&[0x30, 0x81, 0x80], 0x80)).map(|e| e.1.len()),
            Some(0x80)
        );
        assert_eq!(
            element(&with(&[0x30, 0x82, 0x01, 0x00], 0x100)).map(|e| e.1.len()),
            Some(0x100)
        );
        assert_eq!(
            element(&with(&[0x30, 0x83, 0x01, 0x00, 0x00], 0x10000)).map(|e| e.1.len()),
            Some(0x10000)
        );
        // Not the shortest form: a long form under 128, a leading zero byte.
        assert_eq!(element(&with(&[0x30, 0x81, 0x7f], 0x7f)), None);
        assert_eq!(element(&with(&[0x30, 0x82, 0x00, 0x80], 0x80)), None);
        // Four length bytes (even with the contents there), or length bytes cut short.
        assert_eq!(
            element(&with(&[0x30, 0x84, 0x01, 0x00, 0x00, 0x00], 0x0100_0000)),
            None
        );
        assert_eq!(element(&[0x30, 0x82, 0x01]), None);
        assert_eq!(element(&[0x30, 0x81]), None);
        // Contents shorter than the length says.
        assert_eq!(element(&with(&[0x30, 0x81, 0x90], 0x8f)), None);
    }

    /// The algorithm must be an OID with contents.
    #[test]
    fn the_algorithm_must_be_an_oid() {
        let with_algorithm = |alg: Vec<u8>| {
            let mut body = der(SEQUENCE, &[0x05; 10]);
            body.extend(der(SEQUENCE, &alg));
            body.extend(der(0x03, &[0, 1]));
            der(SEQUENCE, &body)
        };
        assert!(tls_server_end_point(&with_algorithm(der(OID, SHA256_RSA))).is_ok());
        for alg in [der(0x02, SHA256_RSA), der(OID, &[])] {
            assert!(tls_server_end_point(&with_algorithm(alg)).is_err());
        }
    }

    /// A whole certificate up to MAX_CERTIFICATE_LEN is read; one byte more is refused for
    /// its size, before it is parsed.
    #[test]
    fn the_size_limit_is_exact() {
        let at_limit = (MAX_CERTIFICATE_LEN - 40..MAX_CERTIFICATE_LEN)
            .map(|tbs| cert(SHA256_RSA, tbs))
            .find(|c| c.len() == MAX_CERTIFICATE_LEN)
            .expect("a certificate of exactly the limit");
        assert!(tls_server_end_point(&at_limit).is_ok());
        let over = (MAX_CERTIFICATE_LEN - 40..MAX_CERTIFICATE_LEN + 40)
            .map(|tbs| cert(SHA256_RSA, tbs))
            .find(|c| c.len() > MAX_CERTIFICATE_LEN)
            .unwrap();
        let e = tls_server_end_point(&over).unwrap_err();
        assert!(e.contains("limit"), "{e}");
    }

    #[test]
    fn refusals() {
        assert!(tls_server_end_point(&[]).is_err());
        assert!(tls_server_end_point(&vec![0x30; MAX_CERTIFICATE_LEN + 1]).is_err());
        let good = cert(SHA256_RSA, 10);
        // Trailing bytes after the certificate.
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(tls_server_end_point(&trailing).is_err());
        // Cut short.
        assert!(tls_server_end_point(&good[..good.len() - 1]).is_err());
        // Not a sequence.
        let mut wrong = good.clone();
        wrong[0] = 0x31;
        assert!(tls_server_end_point(&wrong).is_err());
        // A long length form where the short one fits is not DER.
        assert!(element(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5]).is_none());
        assert!(element(&[0x30, 0x82, 0x00, 0x85]).is_none());
        assert!(element(&[0x30, 0x80]).is_none());
    }

    #[test]
    fn values() {
        let v = tls_server_end_point(&cert(SHA256_RSA, 10)).unwrap();
        assert!(is_value(&v));
        assert!(!is_value(""));
        assert!(!is_value("tls-server-end-point:"));
        assert!(!is_value(&v.replace("tls-server-end-point", "tls-unique")));
        assert!(!is_value(&format!("{v}A")));
        assert!(!is_value(&format!("{v}=")));
        assert!(!is_value(&format!(
            "tls-server-end-point:{}",
            "A".repeat(30)
        )));
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = tls_server_end_point(&raw);
        }

        #[test]
        fn never_panics_on_sequences(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = tls_server_end_point(&der(SEQUENCE, &body));
        }
    }
}
