//! The success line is built only when it will be shown (a cache hit does not pay for
//! formatting a line nobody reads): it must still be shown exactly when the verbosity
//! asks for it. Its own test binary: the log sink and verbosity are process-wide.

mod log_capture;

use auth_awsiam_core::auth::{self, Admitted, Login};
use auth_awsiam_core::identity::{Caller, parse_arn};
use auth_awsiam_core::mapping::Mapped;

fn lines_of(verbosity: u8, admitted: &Admitted) -> Vec<String> {
    log_capture::start(verbosity);
    let login = Login {
        user: "AppRole",
        client_user: "AppRole",
        host: "localhost",
        auth_string: "",
        token: None,
        secure_transport: true,
    };
    auth::report(&login, &Ok(admitted.clone()));
    log_capture::lines()
}

#[test]
fn success_lines_follow_the_verbosity() {
    let arn = "arn:aws:sts::123456789012:assumed-role/AppRole/s1";
    let caller = Caller {
        arn: arn.into(),
        user_id: "AROAEXAMPLE:s1".into(),
        access_key_id: "ASIAEXAMPLE".into(),
        principal: parse_arn(arn).unwrap(),
        claims: None,
    };
    let plain = Admitted {
        caller: caller.clone(),
        mapped: None,
    };
    assert_eq!(lines_of(2, &plain), Vec::<String>::new());
    let shown = lines_of(3, &plain);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].starts_with("'AppRole'@'localhost' authenticated as arn:aws:sts::123456789012:assumed-role/AppRole/s1 (user ID 'AROAEXAMPLE:s1', access key ID 'ASIAEXAMPLE')"),
        "{shown:?}"
    );
    // A mapped login's note shows from verbosity 2, with the refusals.
    let mapped = Admitted {
        caller,
        mapped: Some(Mapped {
            account: "app_rw".into(),
            rule: 1,
        }),
    };
    let note = lines_of(2, &mapped);
    assert_eq!(note.len(), 1, "{note:?}");
    assert!(note[0].contains("mapped to 'app_rw' by rule 1"), "{note:?}");
    assert_eq!(lines_of(1, &mapped), Vec::<String>::new());
}
