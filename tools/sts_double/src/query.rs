//! An awsQuery request: its form-encoded parameters and the SigV4 credential it was signed
//! with. The signature itself is not checked (the double knows no secret keys, like
//! LocalStack); its form is, so that an unsigned or mangled request gets AWS's errors.

use crate::fault::Fault;

/// The decoded `name=value` pairs of a form body, in order.
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The value of parameter `name`, if sent.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Percent-decoding, `+` as a space (application/x-www-form-urlencoded); a bad escape is
/// kept as it is, and bytes that are not UTF-8 become U+FFFD.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The credential scope of a SigV4 `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub struct Credential {
    pub key_id: String,
    /// The scope's region: the token's `source_region`.
    pub region: String,
}

const SIGV4: &str = "AWS4-HMAC-SHA256 ";
/// Hex digits of an HMAC-SHA256 signature.
const SIGNATURE_HEX_LEN: usize = 64;

/// The credential of `authorization` (the header's value), or AWS's error for a request
/// that is not SigV4-signed for STS.
pub fn credential(authorization: Option<&str>) -> Result<Credential, Fault> {
    let Some(auth) = authorization else {
        return Err(Fault::sender(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    };
    let incomplete = |what: &str| {
        Fault::sender(
            400,
            "IncompleteSignature",
            &format!("Authorization header: {what}"),
        )
    };
    let rest = auth
        .strip_prefix(SIGV4)
        .ok_or_else(|| incomplete("not AWS4-HMAC-SHA256"))?;
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
    };
    let scope = field("Credential").ok_or_else(|| incomplete("no Credential"))?;
    let signed = field("SignedHeaders").ok_or_else(|| incomplete("no SignedHeaders"))?;
    let signature = field("Signature").ok_or_else(|| incomplete("no Signature"))?;
    let [key_id, date, region, service, terminator] = scope.split('/').collect::<Vec<_>>()[..]
    else {
        return Err(incomplete(
            "Credential is not KEY/DATE/REGION/SERVICE/aws4_request",
        ));
    };
    if key_id.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
        || region.is_empty()
        || terminator != "aws4_request"
    {
        return Err(incomplete(
            "Credential is not KEY/DATE/REGION/SERVICE/aws4_request",
        ));
    }
    if !signed.split(';').any(|h| h == "host") {
        return Err(incomplete("SignedHeaders must include host"));
    }
    if signature.len() != SIGNATURE_HEX_LEN || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(incomplete("Signature is not 64 hexadecimal digits"));
    }
    if service != "sts" {
        return Err(Fault::sender(
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'sts'.",
        ));
    }
    Ok(Credential {
        key_id: key_id.to_string(),
        region: region.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-north-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn forms_decode() {
        let p = parse_form(
            "Action=GetWebIdentityToken&Audience.member.1=https%3A%2F%2Fa.example&Tags.member.1.Value=a+b%2&x",
        );
        assert_eq!(param(&p, "Action"), Some("GetWebIdentityToken"));
        assert_eq!(param(&p, "Audience.member.1"), Some("https://a.example"));
        assert_eq!(param(&p, "Tags.member.1.Value"), Some("a b%2"));
        assert_eq!(param(&p, "x"), Some(""));
        assert_eq!(parse_form("a=%C3%A9")[0].1, "é");
    }

    #[test]
    fn the_credential_names_key_and_region() {
        let c = credential(Some(AUTH)).unwrap();
        assert_eq!(
            (c.key_id.as_str(), c.region.as_str()),
            ("AKIDEXAMPLE", "eu-north-1")
        );
    }

    #[test]
    fn unsigned_and_mangled_requests_get_aws_errors() {
        assert_eq!(
            credential(None).unwrap_err().code,
            "MissingAuthenticationToken"
        );
        for bad in [
            AUTH.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
            AUTH.replace("/aws4_request", ""),
            AUTH.replace("host;", ""),
            AUTH.replace("Signature=0123", "Signature=zz23"),
            AUTH.replace("20260101", "2026"),
        ] {
            assert_eq!(
                credential(Some(&bad)).unwrap_err().code,
                "IncompleteSignature",
                "{bad}"
            );
        }
        let s3 = AUTH.replace("/sts/", "/s3/");
        assert_eq!(
            credential(Some(&s3)).unwrap_err().code,
            "SignatureDoesNotMatch"
        );
    }
}
