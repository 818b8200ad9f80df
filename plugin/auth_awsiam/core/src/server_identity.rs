//! The server's own AWS account, learned once per plugin start in a background thread: load
//! the server's credentials with aws-config's default chain, sign our own GetCallerIdentity
//! and send it like any login. It is the default allowed account.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use aws_config::Region;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use tokio::sync::Notify;

use crate::config::{self, Config};
use crate::credentials;
use crate::error::Refusal;
use crate::policy::{AccountSource, AllowedAccounts, no_allowed_account};
use crate::request;
use crate::sts;

/// Bound on loading the server's credentials (instance metadata, SSO, web identity...).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(10);
const THREAD_NAME: &str = "auth_awsiam_identity";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Known { account: String, arn: String },
    Unknown(String),
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| Shared {
    state: Mutex::new(State::Unknown("the plugin has not started".into())),
    changed: Condvar::new(),
});

/// Asks the worker to give up early (plugin stop).
#[derive(Default)]
struct StopSignal {
    stopped: AtomicBool,
    notify: Notify,
}

struct Worker {
    handle: JoinHandle<()>,
    stop: Arc<StopSignal>,
}

static WORKER: Mutex<Option<Worker>> = Mutex::new(None);

fn set_state(s: State) {
    *SHARED.state.lock().unwrap_or_else(|e| e.into_inner()) = s;
    SHARED.changed.notify_all();
}

pub fn state() -> State {
    SHARED
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The account if known now (never waits).
pub fn account() -> Option<String> {
    match state() {
        State::Known { account, .. } => Some(account),
        _ => None,
    }
}

/// The server's own account as the allowed set, waiting up to `timeout` while it is being
/// learned.
pub fn allowed_accounts(timeout: Duration) -> Result<AllowedAccounts, Refusal> {
    let guard = SHARED.state.lock().unwrap_or_else(|e| e.into_inner());
    let (guard, _) = SHARED
        .changed
        .wait_timeout_while(guard, timeout, |s| *s == State::Pending)
        .unwrap_or_else(|e| e.into_inner());
    match &*guard {
        State::Known { account, .. } => Ok(AllowedAccounts {
            accounts: vec![account.clone()],
            source: AccountSource::ServerOwn,
        }),
        State::Unknown(why) => Err(no_allowed_account(why)),
        State::Pending => Err(no_allowed_account("it is still being learned")),
    }
}

/// Starts learning the account (once per plugin start; settings changed later do not
/// restart it).
pub fn start() {
    start_with(config::current(), None);
}

/// `start` with given settings and, instead of aws-config's chain, given credentials.
pub fn start_with(cfg: Arc<Config>, creds: Option<Credentials>) {
    stop();
    set_state(State::Pending);
    let signal = Arc::new(StopSignal::default());
    let worker_signal = signal.clone();
    let spawned = thread::Builder::new()
        .name(THREAD_NAME.into())
        .spawn(move || run(&cfg, creds, &worker_signal));
    match spawned {
        Ok(handle) => {
            *WORKER.lock().unwrap_or_else(|e| e.into_inner()) = Some(Worker {
                handle,
                stop: signal,
            });
        }
        Err(e) => finish(Err(format!("cannot start a thread: {e}"))),
    }
}

/// Stops and joins the worker. Bounded: credential loading is cancelled, the STS call has
/// its own timeouts.
pub fn stop() {
    let worker = WORKER.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(w) = worker {
        w.stop.stopped.store(true, Ordering::SeqCst);
        w.stop.notify.notify_one();
        let _ = w.handle.join();
    }
    if state() == State::Pending {
        set_state(State::Unknown(
            "the plugin stopped before it was learned".into(),
        ));
    }
}

fn run(cfg: &Config, creds: Option<Credentials>, stop: &StopSignal) {
    let result = catch_unwind(AssertUnwindSafe(|| learn(cfg, creds, stop)))
        .unwrap_or_else(|_| Err("internal error (panic) while learning it".into()));
    if stop.stopped.load(Ordering::SeqCst) {
        set_state(State::Unknown(
            "the plugin stopped before it was learned".into(),
        ));
        return;
    }
    finish(result);
}

fn finish(result: Result<(String, String), String>) {
    match result {
        Ok((account, arn)) => {
            log::info!("server AWS account is {account} (as {arn})");
            set_state(State::Known { account, arn });
        }
        Err(why) => {
            log::warn!(
                "could not learn the server's AWS account: {why}; logins are refused unless auth_awsiam_allowed_accounts is set"
            );
            set_state(State::Unknown(why));
        }
    }
}

async fn load_credentials(region: String) -> Result<Credentials, String> {
    let sdk = credentials::loader()
        .region(Region::new(region))
        .load()
        .await;
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| "aws-config has no credentials provider".to_string())?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials: {}", credentials::describe_error(&e)))
}

fn learn(
    cfg: &Config,
    creds: Option<Credentials>,
    stop: &StopSignal,
) -> Result<(String, String), String> {
    let region = cfg.effective_region().to_string();
    let creds = match creds {
        Some(c) => c,
        None => load_in_runtime(&region, stop)?,
    };
    if stop.stopped.load(Ordering::SeqCst) {
        return Err("stopped".into());
    }
    let host = match &cfg.endpoint {
        Some(ep) => ep.authority.clone(),
        None => sts::hosts::official_host_for_region(&region),
    };
    let token = request::sign(
        &host,
        &region,
        cfg.server_id.as_deref(),
        &creds,
        SystemTime::now(),
    )
    .map_err(|e| format!("cannot sign GetCallerIdentity: {e}"))?;
    let target = sts::resolve_target(&token, cfg).map_err(|r| r.to_string())?;
    let caller = sts::call(&target, &token, cfg).map_err(|r| r.to_string())?;
    Ok((caller.principal.account, caller.arn))
}

fn load_in_runtime(region: &str, stop: &StopSignal) -> Result<Credentials, String> {
    let region = region.to_string();
    // The runtime lives only in this thread and is dropped before the thread ends.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start an async runtime: {e}"))?;
    let creds = rt.block_on(async {
        tokio::select! {
            r = tokio::time::timeout(CREDENTIALS_TIMEOUT, load_credentials(region.clone())) => {
                r.unwrap_or_else(|_| Err(format!("loading AWS credentials took more than {} s", CREDENTIALS_TIMEOUT.as_secs())))
            }
            _ = stop.notify.notified() => Err("stopped".to_string()),
        }
    });
    drop(rt);
    creds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fake_sts, http, success_xml};

    // Global state: one test drives the whole life cycle so that tests do not race.
    #[test]
    fn life_cycle_without_credentials_source() {
        // Before start: unknown, and waiting does not block.
        stop();
        let e = allowed_accounts(Duration::from_millis(10)).unwrap_err();
        assert_eq!(e.reason, crate::error::Reason::NoAllowedAccount);

        // Pending: a login waits, bounded.
        set_state(State::Pending);
        let t = std::time::Instant::now();
        let e = allowed_accounts(Duration::from_millis(200)).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(200));
        assert!(e.detail.contains("still being learned"));

        // A waiter is woken as soon as the account is known.
        let waiter = thread::spawn(|| allowed_accounts(Duration::from_secs(5)));
        thread::sleep(Duration::from_millis(50));
        finish(Ok((
            "123456789012".into(),
            "arn:aws:iam::123456789012:root".into(),
        )));
        let got = waiter.join().unwrap().unwrap();
        assert_eq!(got.accounts, vec!["123456789012".to_string()]);
        assert_eq!(got.source, AccountSource::ServerOwn);
        assert_eq!(account().as_deref(), Some("123456789012"));

        finish(Err("no AWS credentials".into()));
        let e = allowed_accounts(Duration::ZERO).unwrap_err();
        assert!(e.detail.contains("no AWS credentials"), "{}", e.detail);
        assert!(e.detail.contains("auth_awsiam_allowed_accounts"));

        // A real start against a fake STS: signs for the configured endpoint.
        let (addr, handle) = fake_sts(1, |r| {
            let ok = r
                .headers
                .iter()
                .any(|(n, v)| n == "authorization" && v.contains("/us-east-1/sts/"));
            Some(if ok {
                http(
                    "200 OK",
                    &success_xml("arn:aws:iam::210987654321:user/dbserver", "210987654321"),
                )
            } else {
                http("400 Bad Request", "")
            })
        });
        let mut cfg = Config {
            endpoint: crate::config::parse_endpoint(&format!("http://{addr}")).unwrap(),
            ..Config::default()
        };
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        start_with(Arc::new(cfg.clone()), Some(creds.clone()));
        let got = allowed_accounts(Duration::from_secs(5)).unwrap();
        assert_eq!(got.accounts, vec!["210987654321".to_string()]);
        handle.join().unwrap();
        stop();
        assert_eq!(
            account().as_deref(),
            Some("210987654321"),
            "stop keeps a learned account"
        );

        // A dead STS: unknown, with the reason, and stop() is prompt.
        cfg.endpoint = crate::config::parse_endpoint("http://127.0.0.1:9").unwrap();
        start_with(Arc::new(cfg), Some(creds));
        let e = allowed_accounts(Duration::from_secs(5)).unwrap_err();
        assert!(e.detail.contains("sts_unreachable"), "{}", e.detail);
        stop();
    }
}
