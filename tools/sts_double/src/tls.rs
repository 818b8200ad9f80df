//! HTTPS listeners: the `ok` answer (or the issuer's) over TLS, with a certificate and key
//! given at start (PEM files, made at test time from a test CA: none is committed). They
//! are for the plugin's HTTPS path: the system trust store, the name and expiry checks, TLS
//! session resumption. Each handshake is logged (full or resumed, or why it failed), and so is a
//! plain-HTTP request arriving on an HTTPS port, so a test can tell what the client did.

use std::io::{self, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{HandshakeKind, ServerConfig, ServerConnection, StreamOwned};

use crate::http::{self, Request};
use crate::modes::HANG_LIMIT;

/// First byte of a TLS handshake record: anything else is not a TLS client.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The TLS settings of one HTTPS listener: its certificate chain and key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("cannot read certificates from {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {}: {e}", key.display()))?;
    // The provider is named: the workspace may enable more than one.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("bad certificate or key {}: {e}", cert.display()))?;
    // The default session store (256 sessions) is kept: clients may resume.
    Ok(Arc::new(config))
}

/// Serves one connection of the HTTPS listener `name`: the handshake, then the answers of
/// `respond` (whole responses; `None` closes the connection).
pub fn serve(
    stream: TcpStream,
    name: &str,
    config: Arc<ServerConfig>,
    respond: &dyn Fn(&Request) -> Option<Vec<u8>>,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(HANG_LIMIT))?;
    let mut first = [0u8; 1];
    if stream.peek(&mut first)? == 0 {
        return Ok(());
    }
    if first[0] != TLS_HANDSHAKE_RECORD {
        eprintln!("sts_double: {name}: plain HTTP (not TLS) arrived on an HTTPS port");
        return Ok(());
    }
    let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tcp = stream;
    if let Err(e) = conn.complete_io(&mut tcp) {
        eprintln!("sts_double: {name}: TLS handshake failed: {e}");
        return Ok(());
    }
    if conn.is_handshaking() {
        return Ok(());
    }
    let kind = match conn.handshake_kind() {
        Some(HandshakeKind::Resumed) => "resumed",
        _ => "full",
    };
    eprintln!("sts_double: {name}: TLS handshake ({kind})");
    let mut reader = BufReader::new(StreamOwned::new(conn, tcp));
    while let Some(request) = http::read_request(&mut reader)? {
        let Some(bytes) = respond(&request) else {
            break;
        };
        let out = reader.get_mut();
        out.write_all(&bytes)?;
        out.flush()?;
        if request.wants_close {
            break;
        }
    }
    Ok(())
}
