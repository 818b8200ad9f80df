//! The proxy's TLS to the server: the certificate and the name checked against the CA the
//! user gives (`--ssl-ca`), else the system's trust store. There is no way to switch the
//! checks off: a token or a challenge answer is a signed request, and goes only to a
//! server that proved who it is.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

/// The client configuration for every upstream connection.
pub fn client_config(ca: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    let source = match ca {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read --ssl-ca {}: {e}", path.display()))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("--ssl-ca {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("--ssl-ca {}: {e}", path.display()))?;
            }
            format!("--ssl-ca {}", path.display())
        }
        None => {
            // Certificates the store holds but rustls cannot use are left out, not fatal.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            "the system's trust store".to_string()
        }
    };
    if roots.is_empty() {
        return Err(format!(
            "no CA certificate in {source} to verify the server with: give the CA that signed the server's certificate with --ssl-ca"
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS session to `host` (the name its certificate must carry).
pub fn connection(config: &Arc<ClientConfig>, host: &str) -> Result<ClientConnection, String> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host} is not a host name or address to verify a certificate for"))?;
    ClientConnection::new(Arc::clone(config), name).map_err(|e| format!("TLS: {e}"))
}
