//! What STS (or whatever answers at its address) sends back: the first two bytes pick the
//! HTTP status, the rest is the body. A 200 body either names a caller whose ARN, account
//! and partition agree, or is refused; an error body yields a refusal whose detail never
//! carries the body's free text.
#![no_main]

use auth_awsiam_core::sts::Target;
use auth_awsiam_core::sts::reply::{caller_from, error_refusal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = 100 + u16::from_be_bytes(*status) % 500;
    let body = String::from_utf8_lossy(body);
    let target = Target {
        url: "https://sts.us-east-1.amazonaws.com/".into(),
        region: "us-east-1".into(),
        partition: "aws".into(),
    };
    if let Ok(caller) = caller_from(&target, &body, "ASIAFUZZEXAMPLE") {
        assert_eq!(caller.principal.partition, target.partition);
        assert!(caller.arn.contains(&caller.principal.account));
    }
    let refusal = error_refusal(&target, status, &body);
    assert!(refusal.detail.len() < 512, "refusal detail grows with the body");
});
