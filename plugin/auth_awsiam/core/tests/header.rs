//! Holds the hand-written C headers of the server library (auth_awsiam_core.h and
//! auth_awsiam_core_challenge.h) to the Rust side of the ABI, item by item: every enum's
//! constants and values, every struct's fields (names, C types, order), every `#define`d
//! limit, every function prototype (name, return type, parameter types), and the shim's
//! status variables (one per counter). The headers stay written for people; this test
//! makes sure they never drift from what the library really is. (The client plugin's
//! header has the same test in its own crate.)

mod c_header;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use auth_awsiam_core::abi::{AwsiamLogin, LogLevel, Verdict};
use auth_awsiam_core::challenge::login::Counters as ChallengeCounters;
use auth_awsiam_core::config::Setting;
use auth_awsiam_core::ffi::{AWSIAM_UNAVAILABLE, AwsiamChallenge, AwsiamConnection};
use auth_awsiam_core::metrics::Counters;
use c_header::{Header, c_type, rust_functions};

fn plugin_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn core_header() -> Header {
    Header::read(&plugin_path("../auth_awsiam_core.h"))
}

fn challenge_header() -> Header {
    Header::read(&plugin_path("../auth_awsiam_core_challenge.h"))
}

/// Rust names of the ABI's structs and array lengths -> their C names.
fn c_names() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("AwsiamLogin", AwsiamLogin::C_STRUCT),
        ("Counters", Counters::C_STRUCT),
        ("challenge_login::Counters", ChallengeCounters::C_STRUCT),
        ("AwsiamChallenge", AwsiamChallenge::C_STRUCT),
        ("AwsiamConnection", AwsiamConnection::C_STRUCT),
        ("challenge::MAX_CHALLENGE_LEN", "AWSIAM_CHALLENGE_MAX_LEN"),
    ])
}

fn upper_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// `(C constant, value)` of a Rust ABI enum, in order.
macro_rules! variants {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| {
                let name = format!("{}{}", <$t>::C_PREFIX, upper_snake(v.variant_name()));
                (name, *v as i32)
            })
            .collect::<Vec<_>>()
    };
}

/// `(field, C type)` of a Rust ABI struct, in order.
macro_rules! fields {
    ($t:ty) => {
        <$t>::C_FIELDS
            .iter()
            .map(|(f, ty)| (f.to_string(), c_type(ty, &c_names())))
            .collect::<Vec<_>>()
    };
}

#[test]
fn enums_match() {
    let core = core_header();
    assert_eq!(core.enum_items(Setting::C_ENUM), variants!(Setting));
    assert_eq!(core.enum_items(Verdict::C_ENUM), variants!(Verdict));
    assert_eq!(core.enum_items(LogLevel::C_ENUM), variants!(LogLevel));
}

#[test]
fn structs_match() {
    let core = core_header();
    assert_eq!(
        core.struct_fields(AwsiamLogin::C_STRUCT),
        fields!(AwsiamLogin)
    );
    let counters: Vec<(String, String)> = Counters::FIELDS
        .iter()
        .map(|f| (f.to_string(), c_type("AtomicU64", &c_names())))
        .collect();
    assert_eq!(core.struct_fields(Counters::C_STRUCT), counters);
    let challenge = challenge_header();
    for (c, rust) in [
        (AwsiamChallenge::C_STRUCT, fields!(AwsiamChallenge)),
        (AwsiamConnection::C_STRUCT, fields!(AwsiamConnection)),
        (ChallengeCounters::C_STRUCT, fields!(ChallengeCounters)),
    ] {
        assert_eq!(challenge.struct_fields(c), rust, "struct {c}");
    }
}

#[test]
fn defines_match() {
    let value = |v: usize| v.to_string();
    let core = core_header();
    assert_eq!(
        core.defines,
        BTreeMap::from([(
            "AWSIAM_MAX_ACCOUNT_NAME_LEN".to_string(),
            value(auth_awsiam_core::mapping::MAX_ACCOUNT_NAME_LEN)
        )])
    );
    let challenge = challenge_header();
    assert_eq!(
        challenge.defines,
        BTreeMap::from([
            (
                "AWSIAM_UNAVAILABLE".to_string(),
                AWSIAM_UNAVAILABLE.to_string()
            ),
            (
                "AWSIAM_CHALLENGE_MAX_LEN".to_string(),
                value(auth_awsiam_core::challenge::MAX_CHALLENGE_LEN)
            ),
        ])
    );
}

#[test]
fn prototypes_match() {
    let src = c_header::sources(&plugin_path("src/ffi.rs"), &plugin_path("src/ffi"));
    let names = c_names();
    let exported: BTreeMap<String, (String, Vec<String>)> = rust_functions(&src)
        .into_iter()
        .map(|(name, (ret, params))| {
            let params = params.iter().map(|p| c_type(p, &names)).collect();
            (name, (c_type(&ret, &names), params))
        })
        .collect();
    let mut declared = core_header().prototypes();
    declared.extend(challenge_header().prototypes());
    assert!(
        exported.len() >= 15,
        "the reader found too few functions: {exported:?}"
    );
    assert_eq!(declared, exported);
}

#[test]
fn the_shim_shows_every_counter() {
    let shim = std::fs::read_to_string(plugin_path("../auth_awsiam.cc")).unwrap();
    let mut shown = BTreeSet::new();
    let mut rest = shim.as_str();
    // AWSIAM_COUNTER("name", field): the status variable Auth_awsiam_<name> reads <field>.
    while let Some(at) = rest.find("AWSIAM_COUNTER(\"") {
        rest = &rest[at + "AWSIAM_COUNTER(\"".len()..];
        let (name, after) = rest.split_once('"').unwrap();
        let field: String = after
            .trim_start_matches([',', ' ', '\n'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert_eq!(
            name, field,
            "Auth_awsiam_{name} must show the counter of that name"
        );
        shown.insert(field);
    }
    let all: BTreeSet<String> = Counters::FIELDS.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        shown, all,
        "the shim's status variables and the counters differ"
    );
}
