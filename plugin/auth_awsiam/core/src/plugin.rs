//! Plugin life cycle and settings, as the C ABI exposes them (safe side).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::auth;
use crate::cache;
use crate::config::{self, Config, Setting};
use crate::credentials;
use crate::jwt;
use crate::logging::{self, LogFn};
use crate::metrics::COUNTERS;
use crate::policy;
use crate::server_identity;
use crate::sts;
use crate::syntax;

/// Between `init` and `deinit` of auth_awsiam: auth_awsiam_challenge needs it running.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Whether auth_awsiam (which holds the settings and the log sink) is running.
pub fn is_running() -> bool {
    RUNNING.load(Ordering::SeqCst)
}

/// Plugin start: fresh settings and counters, the log sink installed.
pub fn init(sink: Option<LogFn>) {
    // A previous instance that was never stopped must not keep a thread.
    server_identity::stop();
    jwt::issuers::stop();
    logging::install(sink);
    logging::install_panic_hook();
    config::reset();
    logging::set_verbosity(config::current().log_verbosity);
    COUNTERS.reset();
    cache::clear();
    sts::throttle::reset();
    sts::known::KNOWN.clear();
    auth::reset_refusal_lines();
    RUNNING.store(true, Ordering::SeqCst);
}

/// After the settings are applied: the default region, then, in the background, the
/// server's own account and the JWT issuers' keys.
pub fn start() {
    if let Some(region) = credentials::local_region().filter(|r| syntax::is_region(r)) {
        let _ = config::update(|c| {
            c.default_region = region;
            Ok::<(), ()>(())
        })
        .map(|(old, new)| after_change(&old, &new));
    }
    server_identity::start();
    jwt::issuers::start(&config::current().jwt_issuers);
}

/// Plugin stop: no thread of ours survives it, nothing calls the shim afterwards.
pub fn deinit() {
    RUNNING.store(false, Ordering::SeqCst);
    server_identity::stop();
    // Before the resolver's lookups are joined: key fetches use it.
    jwt::issuers::stop();
    cache::clear();
    sts::transport::reset_agent();
    sts::transport::join_lookups();
    sts::freshness::forget_all();
    sts::known::KNOWN.clear();
    auth::flush_refusal_lines();
    logging::uninstall();
}

fn setting(id: i32) -> Result<Setting, String> {
    Setting::from_id(id).ok_or_else(|| format!("unknown setting id {id}"))
}

/// Validates a string setting without applying it.
pub fn check_str(id: i32, value: &str) -> Result<(), String> {
    config::check_str(setting(id)?, value)
}

/// Validates and applies a string setting.
pub fn set_str(id: i32, value: &str) -> Result<(), String> {
    let s = setting(id)?;
    let (old, new) = config::update(|c| c.set_str(s, value))?;
    after_change(&old, &new);
    Ok(())
}

/// Applies a number setting (range enforced by the server).
pub fn set_num(id: i32, value: u64) {
    let Ok(s) = setting(id) else {
        log::error!("unknown number setting id {id} ignored");
        return;
    };
    if s.is_string() {
        log::error!("setting id {id} is a string setting; number ignored");
        return;
    }
    if let Ok((old, new)) = config::update(|c| {
        c.set_num(s, value);
        Ok::<(), ()>(())
    }) {
        after_change(&old, &new);
    }
}

fn after_change(old: &Config, new: &Config) {
    // Cached answers were verified against the old endpoint, region, audience, window.
    if !old.cache_compatible(new) {
        cache::clear();
    }
    // The server's own account was learned from the old endpoint and region. It is
    // learned again at once if it is in use (no accounts configured), else when needed.
    // (Before `start`, as the settings are first applied, both do nothing.)
    if !old.same_identity_lookup(new) {
        server_identity::forget();
    }
    if new.allowed_accounts.is_empty() {
        server_identity::learn_if_stale();
    }
    // The keys of issuers no longer trusted are forgotten at once; a new issuer's are
    // fetched in the background (before `start`, only noted).
    if old.jwt_issuers != new.jwt_issuers {
        jwt::issuers::cache().set_issuers(&new.jwt_issuers);
    }
    logging::set_verbosity(new.log_verbosity);
}

/// What `IDENTIFIED BY` and `SET PASSWORD` get on an auth_awsiam account.
pub const NO_PASSWORD: &str = "auth_awsiam accounts have no password: use IDENTIFIED WITH auth_awsiam, optionally AS 'arn:aws:iam::ACCOUNT:role/NAME'";

/// A "password" being set on an auth_awsiam account. The one case let through is the empty
/// one `CREATE USER ... IDENTIFIED WITH auth_awsiam` (no `AS`) asks for. Anything else, the
/// empty string included, would replace the account's `AS` binding with a password-derived
/// string, and MySQL lets users set their own password: a logged-in user could clear the
/// binding and fall back to the role-name rule. Bindings change only with `IDENTIFIED WITH`.
pub fn check_password(creating: bool, password_len: usize) -> Result<(), String> {
    if creating && password_len == 0 {
        Ok(())
    } else {
        Err(NO_PASSWORD.to_string())
    }
}

pub fn check_auth_string(value: &str) -> Result<(), String> {
    policy::check_auth_string(value)
}

/// The server's own account, or '' while unknown.
pub fn server_account() -> String {
    server_identity::account().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_is_ever_set() {
        assert_eq!(check_password(true, 0), Ok(()), "CREATE USER without AS");
        for (creating, len) in [(true, 6), (false, 0), (false, 6)] {
            assert_eq!(check_password(creating, len), Err(NO_PASSWORD.to_string()));
        }
    }
}
