//! Holds auth_awsiam_client_core.h, written by hand for the client plugin's C++ side, to the
//! Rust declarations, item by item: the struct's fields (names, C types, order), the
//! `#define`d answer limit (the core's, which the server also enforces) and every function
//! prototype (name, return type, parameter types).

#[path = "../../core/tests/c_header/mod.rs"]
mod c_header;

use std::collections::BTreeMap;
use std::path::PathBuf;

use auth_awsiam_client_core::ffi::AwsiamClientConnection;
use c_header::{Header, c_type, rust_functions};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn header() -> Header {
    Header::read(&path("../auth_awsiam_client_core.h"))
}

fn c_names() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([("AwsiamClientConnection", AwsiamClientConnection::C_STRUCT)])
}

#[test]
fn the_struct_matches() {
    let rust: Vec<(String, String)> = AwsiamClientConnection::C_FIELDS
        .iter()
        .map(|(f, ty)| (f.to_string(), c_type(ty, &c_names())))
        .collect();
    assert_eq!(
        header().struct_fields(AwsiamClientConnection::C_STRUCT),
        rust
    );
}

#[test]
fn the_answer_limit_is_the_cores() {
    assert_eq!(
        header().defines,
        BTreeMap::from([(
            "AWSIAM_CLIENT_MAX_ANSWER_LEN".to_string(),
            auth_awsiam_core::challenge::answer::MAX_ANSWER_LEN.to_string()
        )])
    );
}

#[test]
fn prototypes_match() {
    let src = std::fs::read_to_string(path("src/ffi.rs")).unwrap();
    let names = c_names();
    let exported: BTreeMap<String, (String, Vec<String>)> = rust_functions(&src)
        .into_iter()
        .map(|(name, (ret, params))| {
            let params = params.iter().map(|p| c_type(p, &names)).collect();
            (name, (c_type(&ret, &names), params))
        })
        .collect();
    assert_eq!(exported.len(), 3, "{exported:?}");
    assert_eq!(header().prototypes(), exported);
}
