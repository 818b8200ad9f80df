//! AWS host and partition rules: which host names are official STS endpoints, and which
//! region and partition each one serves. Pure functions, shared by the server and the token
//! tool.

use crate::syntax;

/// The global endpoint, which signs in us-east-1.
pub const GLOBAL_HOST: &str = "sts.amazonaws.com";
pub const GLOBAL_REGION: &str = "us-east-1";

/// The partition a region belongs to.
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

fn is_isolated(region: &str) -> bool {
    partition_of_region(region).starts_with("aws-iso")
}

/// Region and partition of an official STS host name, if it is one.
pub fn official_host(host: &str) -> Option<(String, &'static str)> {
    if host == GLOBAL_HOST {
        return Some((GLOBAL_REGION.to_string(), "aws"));
    }
    if let Some(region) = host
        .strip_suffix(".amazonaws.com.cn")
        .and_then(|r| r.strip_prefix("sts."))
    {
        return (syntax::is_region(region) && region.starts_with("cn-"))
            .then(|| (region.to_string(), "aws-cn"));
    }
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".api.aws"))?;
    let region = rest
        .strip_prefix("sts.")
        .or_else(|| rest.strip_prefix("sts-fips."))?;
    let ok = syntax::is_region(region) && !region.starts_with("cn-") && !is_isolated(region);
    ok.then(|| (region.to_string(), partition_of_region(region)))
}

/// The official regional host for a region (what clients and the server sign for by
/// default).
pub fn official_host_for_region(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("sts.{region}.amazonaws.com.cn")
    } else {
        format!("sts.{region}.amazonaws.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_hosts() {
        let cases = [
            ("sts.amazonaws.com", Some(("us-east-1", "aws"))),
            ("sts.eu-west-1.amazonaws.com", Some(("eu-west-1", "aws"))),
            (
                "sts-fips.us-east-2.amazonaws.com",
                Some(("us-east-2", "aws")),
            ),
            (
                "sts.cn-north-1.amazonaws.com.cn",
                Some(("cn-north-1", "aws-cn")),
            ),
            (
                "sts.us-gov-west-1.amazonaws.com",
                Some(("us-gov-west-1", "aws-us-gov")),
            ),
            ("sts.us-east-1.api.aws", Some(("us-east-1", "aws"))),
            ("sts.cn-north-1.amazonaws.com", None),
            ("sts.eu-west-1.amazonaws.com.cn", None),
            ("sts.amazonaws.com:443", None),
            ("sts.evil.com", None),
            ("evil.sts.us-east-1.amazonaws.com", None),
            ("sts.us-east-1.amazonaws.com.evil.com", None),
            ("sts.us-iso-east-1.amazonaws.com", None),
            ("s3.us-east-1.amazonaws.com", None),
        ];
        for (host, want) in cases {
            let got = official_host(host);
            assert_eq!(got.as_ref().map(|(r, p)| (r.as_str(), *p)), want, "{host}");
        }
        assert_eq!(
            official_host_for_region("cn-north-1"),
            "sts.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            official_host_for_region("eu-west-1"),
            "sts.eu-west-1.amazonaws.com"
        );
    }
}
