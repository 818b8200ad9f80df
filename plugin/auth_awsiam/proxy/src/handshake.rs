//! The connection phase's first packets: the server's greeting (Protocol::HandshakeV10),
//! the greeting the proxy gives its client in its place, the client's handshake response
//! (Protocol::HandshakeResponse41, or the SSLRequest that precedes it), and the response
//! the proxy sends the server in the client's name.

use crate::wire::{Malformed, Reader, put_lenenc_bytes, put_lenenc_int, put_nul_str};

/// Capability flags (`CLIENT_*` of MySQL's `mysql_com.h`) the proxy reads or sets.
pub mod caps {
    pub const CONNECT_WITH_DB: u32 = 1 << 3;
    pub const COMPRESS: u32 = 1 << 5;
    pub const PROTOCOL_41: u32 = 1 << 9;
    pub const SSL: u32 = 1 << 11;
    pub const SECURE_CONNECTION: u32 = 1 << 15;
    pub const PLUGIN_AUTH: u32 = 1 << 19;
    pub const CONNECT_ATTRS: u32 = 1 << 20;
    pub const PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 1 << 21;
    pub const ZSTD_COMPRESSION: u32 = 1 << 26;
    pub const MULTI_FACTOR_AUTHENTICATION: u32 = 1 << 28;
    pub const SSL_VERIFY_SERVER_CERT: u32 = 1 << 30;

    /// What the proxy needs from the server to log in at all.
    pub const REQUIRED: u32 = PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH;
    /// What the proxy cannot carry between its client and the server: compression
    /// (the relay copies bytes, and it would have to compress for one side only), TLS on
    /// its client's side (not offered: the client is local), and a second or third
    /// factor, which the proxy has no way to ask its client for.
    pub const NOT_CARRIED: u32 =
        COMPRESS | ZSTD_COMPRESSION | SSL | SSL_VERIFY_SERVER_CERT | MULTI_FACTOR_AUTHENTICATION;
}

/// The protocol version of every greeting since MySQL 3.21.
const PROTOCOL_VERSION: u8 = 10;
/// The scramble's length in the greeting (auth-plugin-data, parts 1 and 2, without the
/// trailing NUL).
const SCRAMBLE_LEN: usize = 20;

/// The server's greeting, as far as the proxy uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub server_version: Vec<u8>,
    pub connection_id: u32,
    pub capabilities: u32,
    pub charset: u8,
    pub status: u16,
    pub scramble: Vec<u8>,
    pub auth_plugin: Vec<u8>,
}

impl Greeting {
    pub fn parse(payload: &[u8]) -> Result<Greeting, Malformed> {
        let mut r = Reader::new(payload);
        let version = r.u8("greeting: protocol version")?;
        if version != PROTOCOL_VERSION {
            return Err(Malformed(format!(
                "the server greets with protocol version {version}, not {PROTOCOL_VERSION}"
            )));
        }
        let server_version = r.nul_str("greeting: server version")?.to_vec();
        let connection_id = r.u32("greeting: connection id")?;
        let mut scramble = r.bytes(8, "greeting: auth-plugin-data part 1")?.to_vec();
        r.u8("greeting: filler")?;
        let low = u32::from(r.u16("greeting: capability flags")?);
        let charset = r.u8("greeting: character set")?;
        let status = r.u16("greeting: status flags")?;
        let high = u32::from(r.u16("greeting: capability flags")?);
        let capabilities = low | high << 16;
        if capabilities & caps::REQUIRED != caps::REQUIRED {
            return Err(Malformed(
                "the server lacks the 4.1 protocol, secure connection or pluggable authentication"
                    .into(),
            ));
        }
        let data_len = usize::from(r.u8("greeting: auth-plugin-data length")?);
        r.bytes(10, "greeting: reserved")?;
        // Part 2: max(13, length - 8) bytes, the last a NUL.
        let part2 = r.bytes(
            data_len.saturating_sub(8).max(13),
            "greeting: auth-plugin-data part 2",
        )?;
        scramble.extend_from_slice(part2.strip_suffix(&[0]).unwrap_or(part2));
        let auth_plugin = r.nul_str_or_end().to_vec();
        Ok(Greeting {
            server_version,
            connection_id,
            capabilities,
            charset,
            status,
            scramble,
            auth_plugin,
        })
    }

    /// The greeting the proxy gives its client: the server's version, connection ID (so
    /// that KILL from another session names the right one), character set and status,
    /// its capabilities less what the proxy cannot carry, and a scramble of the proxy's
    /// own (`scramble`, 20 bytes), for a client password the proxy does not check.
    pub fn for_client(&self, scramble: &[u8; SCRAMBLE_LEN]) -> Vec<u8> {
        let capabilities = self.capabilities & !caps::NOT_CARRIED;
        let mut out = vec![PROTOCOL_VERSION];
        put_nul_str(&mut out, &self.server_version);
        out.extend_from_slice(&self.connection_id.to_le_bytes());
        out.extend_from_slice(&scramble[..8]);
        out.push(0);
        out.extend_from_slice(&(capabilities as u16).to_le_bytes());
        out.push(self.charset);
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
        out.push((SCRAMBLE_LEN + 1) as u8);
        out.extend_from_slice(&[0; 10]);
        put_nul_str(&mut out, &scramble[8..]);
        // The client answers with its default plugin's response; the proxy ignores it.
        put_nul_str(&mut out, b"mysql_native_password");
        out
    }
}

/// The client's handshake response (or, when it is only the first 32 bytes with
/// `CLIENT_SSL`, its SSLRequest: `ssl_request`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    pub capabilities: u32,
    pub max_packet: u32,
    pub charset: u8,
    pub ssl_request: bool,
    pub user: Vec<u8>,
    pub auth_response: Vec<u8>,
    pub database: Option<Vec<u8>>,
    pub auth_plugin: Option<Vec<u8>>,
    /// The connection attributes, as the client sent them (key, value).
    pub attributes: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The fixed head of a handshake response, and the whole of an SSLRequest.
const RESPONSE_HEAD_LEN: usize = 32;

impl Response {
    pub fn parse(payload: &[u8]) -> Result<Response, Malformed> {
        let mut r = Reader::new(payload);
        let capabilities = r.u32("handshake response: capability flags")?;
        if capabilities & caps::PROTOCOL_41 == 0 {
            return Err(Malformed(
                "the client speaks the pre-4.1 protocol, which the proxy does not".into(),
            ));
        }
        let max_packet = r.u32("handshake response: max packet size")?;
        let charset = r.u8("handshake response: character set")?;
        r.bytes(23, "handshake response: filler")?;
        let mut response = Response {
            capabilities,
            max_packet,
            charset,
            ..Response::default()
        };
        if r.is_empty() && capabilities & caps::SSL != 0 {
            response.ssl_request = true;
            return Ok(response);
        }
        response.user = r.nul_str("handshake response: user")?.to_vec();
        response.auth_response = if capabilities & caps::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            r.lenenc_bytes("handshake response: auth response")?
        } else {
            let len = usize::from(r.u8("handshake response: auth response length")?);
            r.bytes(len, "handshake response: auth response")?
        }
        .to_vec();
        if capabilities & caps::CONNECT_WITH_DB != 0 && !r.is_empty() {
            response.database = Some(r.nul_str("handshake response: database")?.to_vec());
        }
        if capabilities & caps::PLUGIN_AUTH != 0 && !r.is_empty() {
            response.auth_plugin = Some(r.nul_str_or_end().to_vec());
        }
        if capabilities & caps::CONNECT_ATTRS != 0 && !r.is_empty() {
            let all = r.lenenc_bytes("handshake response: connection attributes")?;
            let mut a = Reader::new(all);
            while !a.is_empty() {
                let key = a.lenenc_bytes("connection attribute name")?.to_vec();
                let value = a.lenenc_bytes("connection attribute value")?.to_vec();
                response.attributes.push((key, value));
            }
        }
        Ok(response)
    }

    /// The SSLRequest the proxy sends the server before TLS: the head of `to_server`.
    pub fn ssl_request_to_server(&self, server: &Greeting) -> Vec<u8> {
        let mut out = self.head(self.server_capabilities(server) | caps::SSL);
        debug_assert_eq!(out.len(), RESPONSE_HEAD_LEN);
        out.shrink_to_fit();
        out
    }

    /// The handshake response the proxy sends the server for this client, as `user`:
    /// the client's database, attributes and character set, the capabilities both
    /// sides have less what the proxy cannot carry (plus TLS when `tls`), and no
    /// password: the server then asks for what the account's plugin wants (an auth
    /// switch to `mysql_clear_password` or `auth_awsiam_client`), and only then does
    /// the proxy sign anything.
    pub fn to_server(&self, server: &Greeting, user: &[u8], tls: bool) -> Vec<u8> {
        let mut capabilities = self.server_capabilities(server);
        if tls {
            capabilities |= caps::SSL;
        }
        let mut out = self.head(capabilities);
        put_nul_str(&mut out, user);
        put_lenenc_int(&mut out, 0);
        if capabilities & caps::CONNECT_WITH_DB != 0 {
            put_nul_str(&mut out, self.database.as_deref().unwrap_or_default());
        }
        put_nul_str(&mut out, b"mysql_native_password");
        if capabilities & caps::CONNECT_ATTRS != 0 {
            let mut all = Vec::new();
            for (key, value) in &self.attributes {
                put_lenenc_bytes(&mut all, key);
                put_lenenc_bytes(&mut all, value);
            }
            put_lenenc_bytes(&mut out, &all);
        }
        out
    }

    /// The capabilities the proxy's connection to the server has (`to_server` with TLS).
    pub fn negotiated(&self, server: &Greeting) -> u32 {
        self.server_capabilities(server) | caps::SSL
    }

    /// The client's capabilities less what the proxy cannot carry, with what the proxy
    /// needs, as far as the server has them.
    fn server_capabilities(&self, server: &Greeting) -> u32 {
        let with_db = if self.database.is_some() {
            caps::CONNECT_WITH_DB
        } else {
            0
        };
        let wanted = (self.capabilities & !caps::NOT_CARRIED & !caps::CONNECT_WITH_DB)
            | caps::REQUIRED
            | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | with_db;
        wanted & server.capabilities
    }

    fn head(&self, capabilities: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&capabilities.to_le_bytes());
        out.extend_from_slice(&self.max_packet.to_le_bytes());
        out.push(self.charset);
        out.extend_from_slice(&[0; 23]);
        out
    }
}

/// `COM_CHANGE_USER`: a new login on an open connection.
pub const COM_CHANGE_USER: u8 = 0x11;

/// A client's `COM_CHANGE_USER`, as far as the proxy carries it on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeUser {
    pub user: Vec<u8>,
    pub database: Vec<u8>,
    pub charset: Option<u16>,
    pub attributes: Option<Vec<u8>>,
}

impl ChangeUser {
    /// Reads the command (its first byte included) of a client with `capabilities`.
    pub fn parse(payload: &[u8], capabilities: u32) -> Result<ChangeUser, Malformed> {
        let mut r = Reader::new(payload);
        if r.u8("change user: command")? != COM_CHANGE_USER {
            return Err(Malformed::at("change user: command"));
        }
        let user = r.nul_str("change user: user")?.to_vec();
        if capabilities & caps::SECURE_CONNECTION != 0 {
            let len = usize::from(r.u8("change user: auth response length")?);
            r.bytes(len, "change user: auth response")?;
        } else {
            r.nul_str("change user: auth response")?;
        }
        let database = r.nul_str_or_end().to_vec();
        let mut c = ChangeUser {
            user,
            database,
            ..ChangeUser::default()
        };
        if !r.is_empty() {
            c.charset = Some(r.u16("change user: character set")?);
        }
        if capabilities & caps::PLUGIN_AUTH != 0 && !r.is_empty() {
            r.nul_str_or_end();
        }
        if capabilities & caps::CONNECT_ATTRS != 0 && !r.is_empty() {
            c.attributes = Some(
                r.lenenc_bytes("change user: connection attributes")?
                    .to_vec(),
            );
        }
        Ok(c)
    }

    /// The command the proxy sends the server, on a connection with `capabilities`: as
    /// `user`, with no password, so that the server names the account's plugin.
    pub fn to_server(&self, user: &[u8], capabilities: u32) -> Vec<u8> {
        let mut out = vec![COM_CHANGE_USER];
        put_nul_str(&mut out, user);
        out.push(0);
        put_nul_str(&mut out, &self.database);
        out.extend_from_slice(&self.charset.unwrap_or(255).to_le_bytes());
        put_nul_str(&mut out, b"mysql_native_password");
        if capabilities & caps::CONNECT_ATTRS != 0 {
            put_lenenc_bytes(&mut out, self.attributes.as_deref().unwrap_or_default());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MySQL 9.7 greeting, as the server sends it (capabilities 0xdfffffff).
    fn server_greeting() -> Vec<u8> {
        let mut g = vec![10];
        g.extend_from_slice(b"9.7.4\0");
        g.extend_from_slice(&42u32.to_le_bytes());
        g.extend_from_slice(b"abcdefgh\0");
        g.extend_from_slice(&0xffffu16.to_le_bytes());
        g.push(255);
        g.extend_from_slice(&2u16.to_le_bytes());
        g.extend_from_slice(&0xdfffu16.to_le_bytes());
        g.push(21);
        g.extend_from_slice(&[0; 10]);
        g.extend_from_slice(b"ijklmnopqrst\0");
        g.extend_from_slice(b"caching_sha2_password\0");
        g
    }

    #[test]
    fn the_servers_greeting_is_read_and_mirrored() {
        let g = Greeting::parse(&server_greeting()).unwrap();
        assert_eq!(g.server_version, b"9.7.4");
        assert_eq!(g.connection_id, 42);
        assert_eq!(g.scramble, b"abcdefghijklmnopqrst");
        assert_eq!(g.auth_plugin, b"caching_sha2_password");
        assert_eq!(g.capabilities, 0xdfff_ffff);

        let ours = Greeting::parse(&g.for_client(b"ABCDEFGHIJKLMNOPQRST")).unwrap();
        assert_eq!(ours.server_version, g.server_version);
        assert_eq!(ours.connection_id, 42);
        assert_eq!(ours.scramble, b"ABCDEFGHIJKLMNOPQRST");
        assert_eq!(ours.capabilities, g.capabilities & !caps::NOT_CARRIED);
        assert_eq!(ours.capabilities & (caps::SSL | caps::COMPRESS), 0);
    }

    #[test]
    fn a_greeting_the_proxy_cannot_use_is_refused() {
        let mut old = server_greeting();
        old[0] = 9;
        assert!(Greeting::parse(&old).is_err());
        let g = server_greeting();
        for cut in [1, 10, 20, 40] {
            assert!(Greeting::parse(&g[..cut]).is_err(), "{cut}");
        }
    }

    fn client_response(caps_: u32) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend_from_slice(&caps_.to_le_bytes());
        r.extend_from_slice(&(16u32 << 20).to_le_bytes());
        r.push(255);
        r.extend_from_slice(&[0; 23]);
        r.extend_from_slice(b"AppRole\0");
        r.extend_from_slice(b"\x14abcdefghijklmnopqrst");
        r.extend_from_slice(b"shop\0");
        r.extend_from_slice(b"mysql_native_password\0");
        let mut attrs = Vec::new();
        put_lenenc_bytes(&mut attrs, b"_client_name");
        put_lenenc_bytes(&mut attrs, b"libmysql");
        put_lenenc_bytes(&mut r, &attrs);
        r
    }

    #[test]
    fn the_clients_response_is_read_and_sent_on_without_a_password() {
        let c = caps::PROTOCOL_41
            | caps::SECURE_CONNECTION
            | caps::PLUGIN_AUTH
            | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | caps::CONNECT_WITH_DB
            | caps::CONNECT_ATTRS
            | caps::COMPRESS;
        let r = Response::parse(&client_response(c)).unwrap();
        assert!(!r.ssl_request);
        assert_eq!(r.user, b"AppRole");
        assert_eq!(r.auth_response, b"abcdefghijklmnopqrst");
        assert_eq!(r.database.as_deref(), Some(&b"shop"[..]));
        assert_eq!(
            r.auth_plugin.as_deref(),
            Some(&b"mysql_native_password"[..])
        );
        assert_eq!(
            r.attributes,
            vec![(b"_client_name".to_vec(), b"libmysql".to_vec())]
        );

        let server = Greeting::parse(&server_greeting()).unwrap();
        let up = Response::parse(&r.to_server(&server, b"OtherRole", true)).unwrap();
        assert_eq!(up.user, b"OtherRole");
        assert!(up.auth_response.is_empty(), "no password goes upstream");
        assert_eq!(up.database, r.database);
        assert_eq!(up.attributes, r.attributes);
        assert_ne!(up.capabilities & caps::SSL, 0);
        assert_eq!(
            up.capabilities & caps::COMPRESS,
            0,
            "compression is not carried"
        );

        let ssl = Response::parse(&r.ssl_request_to_server(&server)).unwrap();
        assert!(ssl.ssl_request);
        assert_eq!(ssl.capabilities & !caps::SSL, up.capabilities & !caps::SSL);
    }

    #[test]
    fn change_user_is_read_and_sent_on_without_a_password() {
        let c =
            caps::PROTOCOL_41 | caps::SECURE_CONNECTION | caps::PLUGIN_AUTH | caps::CONNECT_ATTRS;
        let mut p = vec![COM_CHANGE_USER];
        p.extend_from_slice(b"AppChallenge\0\x03abcshop\0");
        p.extend_from_slice(&45u16.to_le_bytes());
        p.extend_from_slice(b"mysql_native_password\0");
        put_lenenc_bytes(&mut p, b"\x03key\x05value");
        let cu = ChangeUser::parse(&p, c).unwrap();
        assert_eq!(cu.user, b"AppChallenge");
        assert_eq!(cu.database, b"shop");
        assert_eq!(cu.charset, Some(45));
        assert_eq!(cu.attributes.as_deref(), Some(&b"\x03key\x05value"[..]));
        let up = cu.to_server(b"AppChallenge", c);
        let again = ChangeUser::parse(&up, c).unwrap();
        assert_eq!(again, cu);
        // No password: the auth response's length is 0.
        assert_eq!(up[1 + b"AppChallenge".len() + 1], 0);
        assert!(ChangeUser::parse(&p[..5], c).is_err());
        assert!(ChangeUser::parse(b"\x03SELECT 1", c).is_err());
    }

    #[test]
    fn a_response_cut_short_is_malformed() {
        let c = caps::PROTOCOL_41 | caps::SECURE_CONNECTION | caps::PLUGIN_AUTH;
        let whole = client_response(c | caps::CONNECT_WITH_DB | caps::CONNECT_ATTRS);
        for cut in [3, 20, 40, 45] {
            assert!(Response::parse(&whole[..cut]).is_err(), "{cut}");
        }
        assert!(
            Response::parse(&client_response(caps::SECURE_CONNECTION)).is_err(),
            "pre-4.1"
        );
    }
}
