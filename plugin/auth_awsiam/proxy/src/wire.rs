//! The MySQL client/server protocol's framing and basic types, as far as the proxy reads
//! them: packets (a 3-byte little-endian payload length, a sequence number, the payload),
//! NUL-terminated and length-encoded strings and integers. Only the connection phase is
//! parsed; after the login the proxy copies bytes (`relay.rs`).

use std::io::{self, Read, Write};

/// The largest payload of one packet; a longer one continues in the next packet. The
/// connection phase never comes near it: its packets are bounded by `MAX_LOGIN_PACKET`.
pub const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// The largest packet the proxy reads while logging in (a greeting, a handshake response
/// with connection attributes, an auth switch with a challenge, an OK or ERR). A client's
/// handshake response is bounded by its attributes (64 KiB in the server); anything larger
/// is not a login and is refused before it is buffered.
pub const MAX_LOGIN_PACKET: usize = 128 * 1024;

/// A malformed packet: what the proxy expected, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl Malformed {
    pub fn at(what: &str) -> Malformed {
        Malformed(format!("malformed {what}"))
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ERR packet of the proxy's own, with its SQLSTATE.
pub fn error_packet(code: u16, sql_state: &[u8; 5], message: &str) -> Vec<u8> {
    let mut p = vec![0xFF];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(sql_state);
    p.extend_from_slice(message.as_bytes());
    p
}

/// One packet of the connection phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub seq: u8,
    pub payload: Vec<u8>,
}

/// Reads one packet of at most `MAX_LOGIN_PACKET` bytes (no continuation packets: nothing
/// in the connection phase needs one).
pub fn read_packet(r: &mut impl Read) -> io::Result<Packet> {
    let mut header = [0u8; 4];
    r.read_exact(&mut header)?;
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    if len > MAX_LOGIN_PACKET {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a packet of {len} bytes while logging in (the limit is {MAX_LOGIN_PACKET})"),
        ));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok(Packet {
        seq: header[3],
        payload,
    })
}

/// Writes one packet (payload shorter than `MAX_PAYLOAD`) and flushes it.
pub fn write_packet(w: &mut impl Write, seq: u8, payload: &[u8]) -> io::Result<()> {
    if payload.len() >= MAX_PAYLOAD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a connection-phase packet of 16 MiB",
        ));
    }
    let len = payload.len();
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8, seq]);
    out.extend_from_slice(payload);
    w.write_all(&out)?;
    w.flush()
}

/// Reads a payload front to back; every read names what it expected.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(payload: &'a [u8]) -> Reader<'a> {
        Reader { rest: payload }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], Malformed> {
        if self.rest.len() < n {
            return Err(Malformed::at(what));
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        Ok(self.bytes(1, what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, Malformed> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, Malformed> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Up to the next NUL, which is consumed and not returned.
    pub fn nul_str(&mut self, what: &str) -> Result<&'a [u8], Malformed> {
        let end = self
            .rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| Malformed::at(what))?;
        let s = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Ok(s)
    }

    /// Up to the next NUL, or to the end if there is none (some fields end either way).
    pub fn nul_str_or_end(&mut self) -> &'a [u8] {
        match self.rest.iter().position(|&b| b == 0) {
            Some(end) => {
                let s = &self.rest[..end];
                self.rest = &self.rest[end + 1..];
                s
            }
            None => std::mem::take(&mut self.rest),
        }
    }

    /// A length-encoded integer (1, 3, 4 or 9 bytes).
    pub fn lenenc_int(&mut self, what: &str) -> Result<u64, Malformed> {
        match self.u8(what)? {
            n @ 0..=0xFA => Ok(u64::from(n)),
            0xFC => Ok(u64::from(self.u16(what)?)),
            0xFD => {
                let b = self.bytes(3, what)?;
                Ok(u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16)
            }
            0xFE => {
                let b = self.bytes(8, what)?;
                Ok(u64::from_le_bytes(
                    b.try_into().map_err(|_| Malformed::at(what))?,
                ))
            }
            _ => Err(Malformed::at(what)),
        }
    }

    /// A length-encoded string.
    pub fn lenenc_bytes(&mut self, what: &str) -> Result<&'a [u8], Malformed> {
        let len = self.lenenc_int(what)?;
        let len = usize::try_from(len).map_err(|_| Malformed::at(what))?;
        self.bytes(len, what)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }
}

/// Appends a length-encoded integer.
pub fn put_lenenc_int(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xFA => out.push(n as u8),
        0xFB..=0xFFFF => {
            out.push(0xFC);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0xFD);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xFE);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// Appends a length-encoded string.
pub fn put_lenenc_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_lenenc_int(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Appends a NUL-terminated string.
pub fn put_nul_str(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(b);
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_round_trip_and_the_login_limit_holds() {
        let mut buf = Vec::new();
        write_packet(&mut buf, 3, b"hello").unwrap();
        assert_eq!(buf, b"\x05\x00\x00\x03hello");
        let p = read_packet(&mut buf.as_slice()).unwrap();
        assert_eq!((p.seq, p.payload.as_slice()), (3, &b"hello"[..]));

        let len = MAX_LOGIN_PACKET + 1;
        let huge = [len as u8, (len >> 8) as u8, (len >> 16) as u8, 0];
        let e = read_packet(&mut huge.as_slice()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        // A packet cut short is an error, not a short read.
        let cut = b"\x05\x00\x00\x00hel";
        assert!(read_packet(&mut cut.as_slice()).is_err());
    }

    #[test]
    fn length_encoded_integers_in_each_width() {
        for n in [
            0,
            250,
            251,
            0xFFFF,
            0x1_0000,
            0xFF_FFFF,
            0x100_0000,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_lenenc_int(&mut out, n);
            let mut r = Reader::new(&out);
            assert_eq!(r.lenenc_int("n").unwrap(), n);
            assert!(r.is_empty(), "{n}");
        }
        // 0xFB (NULL) and 0xFF are no integers; a width cut short is malformed.
        for bad in [&b"\xFB"[..], b"\xFF", b"\xFC\x01", b"\xFE\x01\x02"] {
            assert!(Reader::new(bad).lenenc_int("n").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn strings_end_where_they_say() {
        let mut r = Reader::new(b"root\0\x03abcrest");
        assert_eq!(r.nul_str("user").unwrap(), b"root");
        assert_eq!(r.lenenc_bytes("auth").unwrap(), b"abc");
        assert_eq!(r.nul_str_or_end(), b"rest");
        assert!(r.is_empty());
        assert!(Reader::new(b"no nul").nul_str("user").is_err());
        assert!(Reader::new(b"\x05abc").lenenc_bytes("auth").is_err());
    }
}
