//! A `jwt` answer: an AWS-issued JWT the client asks STS for (`sts:GetWebIdentityToken`)
//! with the user's credentials, for the audience the challenge names, with request tags
//! carrying what a `sigv4` answer signs in headers: the challenge's nonce, the server name
//! the client dialed and the TLS channel (`challenge::tags`). The server checks the token
//! with its issuer's keys and then those tags, so the token logs in on this one connection.
//!
//! Asked for only after `trust.rs` allowed answering this server (`respond::plan`), like a
//! `sigv4` answer. Tagging needs `sts:TagGetWebIdentityToken` besides
//! `sts:GetWebIdentityToken`; STS's refusal is explained by `web_identity::explain`.

use auth_awsiam_core::challenge::tags;
use auth_awsiam_core::web_identity::{self, SigningAlgorithm, Target, TokenRequest};

use crate::respond::Plan;

/// The shortest lifetime STS allows: the token is used once, within the challenge's
/// timeout, and a captured one is good on no other connection anyway.
pub const LIFETIME_SECS: u32 = web_identity::MIN_DURATION_SECS;
/// RS256: the server verifies it for about a tenth of ES384's CPU (jwt-facts.md 8). An IAM
/// policy that requires `sts:SigningAlgorithm` ES384 refuses these answers: the error says so.
pub const ALGORITHM: SigningAlgorithm = SigningAlgorithm::Rs256;

/// What to ask STS for; `None` when the challenge names no JWT audience (a decoded
/// challenge that offers `jwt` always names one).
pub fn request(plan: &Plan) -> Option<TokenRequest> {
    let audience = plan.jwt_audience.clone()?;
    Some(TokenRequest {
        audiences: vec![audience],
        algorithm: ALGORITHM,
        duration_secs: Some(LIFETIME_SECS),
        tags: tags::for_binding(&plan.binding),
    })
}

/// Where to ask: the STS endpoint the user configured (the `sts-endpoint` option, else the
/// AWS configuration's, as the AWS CLI would), else the regional STS endpoint of the
/// signing region (GetWebIdentityToken has no global endpoint).
pub fn target(plan: &Plan, configured: Option<&str>, endpoint_settings: String) -> Target {
    Target {
        region: plan.region.clone(),
        endpoint: plan
            .sts_url
            .as_deref()
            .or(configured)
            .map(|u| u.trim_end_matches('/').to_string()),
        endpoint_settings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_awsiam_core::challenge::{AnswerKind, new_nonce};
    use auth_awsiam_core::token::Binding;

    const CHANNEL: &str = "tls-server-end-point:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn plan(sts_url: Option<&str>, channel: Option<&str>) -> Plan {
        Plan {
            kind: AnswerKind::Jwt,
            jwt_audience: Some("mysql://db1.example.com".into()),
            sts_host: "sts.eu-west-1.amazonaws.com".into(),
            region: "eu-west-1".into(),
            server_id: None,
            binding: Binding {
                nonce: new_nonce().unwrap(),
                audience: "[::1]:3307".into(),
                channel: channel.map(str::to_string),
            },
            profile: None,
            sts_url: sts_url.map(str::to_string),
        }
    }

    #[test]
    fn the_request_carries_the_binding_in_its_tags() {
        let p = plan(None, Some(CHANNEL));
        let r = request(&p).unwrap();
        assert_eq!(r.audiences, ["mysql://db1.example.com"]);
        assert_eq!(
            (r.algorithm, r.duration_secs),
            (SigningAlgorithm::Rs256, Some(60))
        );
        assert_eq!(
            r.tags,
            [
                ("auth-awsiam-nonce".to_string(), p.binding.nonce.clone()),
                ("auth-awsiam-audience".to_string(), "_::1_:3307".to_string()),
                ("auth-awsiam-channel".to_string(), CHANNEL.to_string()),
            ]
        );
        assert_eq!(r.check(), Ok(()), "within the model's limits");
        let none = Plan {
            jwt_audience: None,
            ..p
        };
        assert_eq!(request(&none), None);
    }

    #[test]
    fn the_call_goes_to_the_configured_sts_else_the_regional_one() {
        let settings = || "the sts-endpoint option".to_string();
        let t = target(&plan(None, None), None, settings());
        assert_eq!(t.url(), "https://sts.eu-west-1.amazonaws.com");
        let t = target(
            &plan(None, None),
            Some("http://127.0.0.1:4566/"),
            settings(),
        );
        assert_eq!(t.url(), "http://127.0.0.1:4566");
        let t = target(
            &plan(Some("http://127.0.0.1:4599"), None),
            Some("http://127.0.0.1:4566"),
            settings(),
        );
        assert_eq!(t.url(), "http://127.0.0.1:4599", "the option wins");
        assert_eq!(t.region, "eu-west-1");
    }
}
