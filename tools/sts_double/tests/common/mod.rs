//! Shared by the integration tests: the double started as a test starts it, a bare HTTP
//! client, a JWT verifier as a verifier reads the JWKS, and test certificates.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_sts_double");
pub const NS: &str = "https://sts.amazonaws.com/";

/// A running double, stopped when dropped.
pub struct Double {
    pub dir: PathBuf,
    vars: HashMap<String, String>,
}

impl Double {
    pub fn start(name: &str, args: &[&str]) -> Double {
        let dir = std::env::temp_dir().join(format!("sts_double_it_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ok = Command::new(BIN)
            .arg("start")
            .arg("--dir")
            .arg(&dir)
            .args(["--listen", "ok=127.0.0.1:0"])
            .args(args)
            .status()
            .unwrap();
        assert!(ok.success());
        let vars = std::fs::read_to_string(dir.join("ports.inc"))
            .unwrap()
            .lines()
            .filter_map(|l| {
                let (k, v) = l.strip_prefix("--let $sts_double_")?.split_once(" = ")?;
                Some((k.to_string(), v.to_string()))
            })
            .collect();
        Double { dir, vars }
    }

    pub fn var(&self, name: &str) -> &str {
        &self.vars[name]
    }

    pub fn switch(&self, name: &str, text: Option<&str>) {
        match text {
            Some(t) => std::fs::write(self.dir.join(name), t).unwrap(),
            None => std::fs::remove_file(self.dir.join(name)).unwrap(),
        }
    }

    pub fn counter(&self, name: &str) -> u64 {
        std::fs::read_to_string(self.dir.join(name)).map_or(0, |t| t.trim().parse().unwrap())
    }

    /// Mints a token at the `ok` port, signed (in form) with `key`.
    pub fn mint(&self, key: &str, form: &str) -> (u16, String) {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20260101/us-west-2/sts/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={}",
            "ab".repeat(32)
        );
        let body = format!("Action=GetWebIdentityToken&Version=2011-06-15&{form}");
        request(
            self.var("ok"),
            "POST",
            "/",
            &[("Authorization", &auth)],
            &body,
        )
    }

    pub fn token(&self, key: &str, form: &str) -> String {
        let (status, xml) = self.mint(key, form);
        assert_eq!(status, 200, "{xml}");
        let start = xml.find("<WebIdentityToken>").unwrap() + "<WebIdentityToken>".len();
        xml[start..start + xml[start..].find('<').unwrap()].to_string()
    }
}

impl Drop for Double {
    fn drop(&mut self) {
        let _ = Command::new(BIN)
            .arg("stop")
            .arg("--dir")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 exchange on a new connection: status and body.
pub fn request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let authority = url.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(authority).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(s, "{head}\r\n{body}").unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    let (head, body) = all.split_once("\r\n\r\n").unwrap();
    (head[9..12].parse().unwrap(), body.to_string())
}

pub fn get(url: &str, path: &str) -> (u16, String) {
    request(url, "GET", path, &[], "")
}

pub fn b64(part: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(part).unwrap()
}

pub fn json(part: &str) -> Value {
    serde_json::from_slice(&b64(part)).unwrap()
}

/// Verifies `token` with the key of its kid in `jwks`, as a verifier does; the header.
pub fn verify(token: &str, jwks: &str) -> Value {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let header = json(input.split('.').next().unwrap());
    let keys: Value = serde_json::from_str(jwks).unwrap();
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("kid {} not in the JWKS", header["kid"]));
    let m = |n: &str| b64(key[n].as_str().unwrap());
    match header["alg"].as_str().unwrap() {
        "RS256" => RsaPublicKeyComponents {
            n: m("n"),
            e: m("e"),
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &b64(sig))
        .unwrap(),
        "ES384" => {
            let point = [vec![4], m("x"), m("y")].concat();
            UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &point)
                .verify(input.as_bytes(), &b64(sig))
                .unwrap()
        }
        other => panic!("alg {other}"),
    }
    header
}

/// A CA and a certificate for localhost from it, with openssl (as the MTR suite's
/// test_ca.sh makes them; that script's expired certificate needs openssl 3.4).
pub fn make_certs(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let openssl = |args: &[&str]| {
        let ok = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=sts_double test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "good.key",
                "-out",
                "good.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("good.ext"),
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "good.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "good.pem",
        "-days",
        "2",
        "-extfile",
        "good.ext",
    ]);
}

pub fn rustls_pemfile(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .unwrap()
}
