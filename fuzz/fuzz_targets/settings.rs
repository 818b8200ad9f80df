//! The string system variables (SET GLOBAL auth_awsiam_...): the first byte picks the
//! variable, the rest is its value. Checking and applying must agree, and never panic.
#![no_main]

use auth_awsiam_core::config::{Config, Setting, check_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, value)) = data.split_first() else {
        return;
    };
    let strings: Vec<Setting> = Setting::ALL
        .iter()
        .copied()
        .filter(|s| s.is_string())
        .collect();
    let setting = strings[usize::from(which) % strings.len()];
    let value = String::from_utf8_lossy(value);
    let checked = check_str(setting, &value);
    let applied = Config::default().set_str(setting, &value);
    assert_eq!(checked.is_ok(), applied.is_ok());
});
