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

/// The regions whose STS endpoints count as official, with their partitions: the
/// commercial, China and GovCloud partitions of the AWS SDK's partition data, vendored from
/// aws-sdk-sts 1.124.0 (`src/endpoint_lib.rs`, the `"regions"` of partitions `aws`,
/// `aws-cn`, `aws-us-gov`). A list rather than the region pattern, so that a made-up name
/// such as `sts.zz-fake-9.amazonaws.com` is refused before any name lookup. A region newer
/// than this list is reached by setting auth_awsiam_sts_endpoint to its host. The isolated
/// partitions (aws-iso*) and the European Sovereign Cloud are not official here either:
/// their hosts are not under these domains; configure their endpoint.
pub const KNOWN_REGIONS: [(&str, &str); 38] = [
    ("af-south-1", "aws"),
    ("ap-east-1", "aws"),
    ("ap-east-2", "aws"),
    ("ap-northeast-1", "aws"),
    ("ap-northeast-2", "aws"),
    ("ap-northeast-3", "aws"),
    ("ap-south-1", "aws"),
    ("ap-south-2", "aws"),
    ("ap-southeast-1", "aws"),
    ("ap-southeast-2", "aws"),
    ("ap-southeast-3", "aws"),
    ("ap-southeast-4", "aws"),
    ("ap-southeast-5", "aws"),
    ("ap-southeast-6", "aws"),
    ("ap-southeast-7", "aws"),
    ("ca-central-1", "aws"),
    ("ca-west-1", "aws"),
    ("eu-central-1", "aws"),
    ("eu-central-2", "aws"),
    ("eu-north-1", "aws"),
    ("eu-south-1", "aws"),
    ("eu-south-2", "aws"),
    ("eu-west-1", "aws"),
    ("eu-west-2", "aws"),
    ("eu-west-3", "aws"),
    ("il-central-1", "aws"),
    ("me-central-1", "aws"),
    ("me-south-1", "aws"),
    ("mx-central-1", "aws"),
    ("sa-east-1", "aws"),
    ("us-east-1", "aws"),
    ("us-east-2", "aws"),
    ("us-west-1", "aws"),
    ("us-west-2", "aws"),
    ("cn-north-1", "aws-cn"),
    ("cn-northwest-1", "aws-cn"),
    ("us-gov-east-1", "aws-us-gov"),
    ("us-gov-west-1", "aws-us-gov"),
];

/// The partition of a region in `KNOWN_REGIONS`.
pub fn known_region(region: &str) -> Option<&'static str> {
    KNOWN_REGIONS
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, p)| *p)
}

/// The region an STS host name names, if it has the shape of an official host
/// (`sts.R.amazonaws.com`, `sts-fips.R.amazonaws.com`, `sts.R.api.aws`,
/// `sts.R.amazonaws.com.cn`), with the partition its domain belongs to.
fn region_in_official_form(host: &str) -> Option<(&str, &'static str)> {
    if let Some(region) = host
        .strip_suffix(".amazonaws.com.cn")
        .and_then(|r| r.strip_prefix("sts."))
    {
        return Some((region, "aws-cn"));
    }
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".api.aws"))?;
    let region = rest
        .strip_prefix("sts.")
        .or_else(|| rest.strip_prefix("sts-fips."))?;
    // The commercial and GovCloud partitions share these domains; China has its own.
    let partition = if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    Some((region, partition))
}

/// Region and partition of an official STS host name, if it is one: the global host, or a
/// regional host of a region in `KNOWN_REGIONS` under its own partition's domain.
pub fn official_host(host: &str) -> Option<(String, &'static str)> {
    if host == GLOBAL_HOST {
        return Some((GLOBAL_REGION.to_string(), "aws"));
    }
    let (region, domain_partition) = region_in_official_form(host)?;
    let partition = known_region(region)?;
    (partition == domain_partition).then(|| (region.to_string(), partition))
}

/// Why a host that looks official is not, for the refusal detail: `Some` when the host
/// has an official form but names a region this build does not know.
pub fn unknown_region_of(host: &str) -> Option<&str> {
    let (region, _) = region_in_official_form(host)?;
    (syntax::is_region(region) && known_region(region).is_none()).then_some(region)
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
            // Made-up or not-yet-known regions are not official (issue 6).
            ("sts.zz-fake-9.amazonaws.com", None),
            ("sts-fips.zz-fake-9.amazonaws.com", None),
            ("sts.zz-fake-9.api.aws", None),
            ("sts.cn-fake-1.amazonaws.com.cn", None),
            ("sts.us-gov-fake-1.amazonaws.com", None),
            ("sts.us-gov-west-1.amazonaws.com.cn", None),
            (
                "sts.ap-southeast-7.amazonaws.com",
                Some(("ap-southeast-7", "aws")),
            ),
            (
                "sts.cn-northwest-1.amazonaws.com.cn",
                Some(("cn-northwest-1", "aws-cn")),
            ),
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

    #[test]
    fn known_regions_are_consistent() {
        let mut seen = std::collections::HashSet::new();
        for (region, partition) in KNOWN_REGIONS {
            assert!(seen.insert(region), "{region} listed twice");
            assert!(syntax::is_region(region), "{region}");
            assert_eq!(partition_of_region(region), partition, "{region}");
            let host = official_host_for_region(region);
            assert_eq!(
                official_host(&host),
                Some((region.to_string(), partition)),
                "{host}"
            );
        }
    }

    #[test]
    fn unknown_regions_are_named() {
        assert_eq!(
            unknown_region_of("sts.zz-fake-9.amazonaws.com"),
            Some("zz-fake-9")
        );
        assert_eq!(unknown_region_of("sts.eu-west-1.amazonaws.com"), None);
        assert_eq!(unknown_region_of("sts.example.com"), None);
    }
}
