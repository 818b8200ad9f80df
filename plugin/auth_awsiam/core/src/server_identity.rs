//! The server's own AWS account, learned in a background thread at plugin start: load the
//! server's credentials with aws-config's default chain, sign our own GetCallerIdentity
//! and send it like any login. It is the default allowed account.
//!
//! It was learned from the STS endpoint and region in force: when either changes, it is
//! forgotten at once, and learned again as soon as it is needed, that is at once while
//! auth_awsiam_allowed_accounts is empty (else when that variable is emptied, or a login
//! needs it). Each lookup has a generation, and only the newest may set the state, so a
//! lookup started under old settings (still waiting on a slow STS, say) can never bring
//! back the account they named. While the newest is pending, logins that need the account
//! wait for it a little, then are refused (`server_account_pending`): never let in under
//! the old account.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use aws_config::Region;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use tokio::sync::Notify;

use crate::config::{self, Config};
use crate::credentials;
use crate::error::{Reason, Refusal, refuse};
use crate::policy::{AccountSource, AllowedAccounts, no_allowed_account};
use crate::request;
use crate::sts;

/// Bound on loading the server's credentials (instance metadata, SSO, web identity...).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(10);
const THREAD_NAME: &str = "auth_awsiam_identity";
/// After a failed lookup, the next login that needs the account starts a new one, at most
/// this often: a server given credentials or a working endpoint later learns its account
/// without UNINSTALL/INSTALL (which would drop SET PERSIST values until a restart).
pub const RETRY_INTERVAL: Duration = Duration::from_secs(60);
/// Longest part of the lookup's failure repeated in each refused login's log line (the
/// whole of it was logged once, when the lookup failed).
const MAX_WHY_IN_REFUSAL: usize = 60;

/// Why a lookup was started, for the log and for the refusal while it is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Plugin start.
    Start,
    /// The last lookup failed, and a login needed the account.
    Retry,
    /// auth_awsiam_sts_endpoint or auth_awsiam_region changed.
    SettingsChanged,
}

impl Cause {
    fn describe(self) -> &'static str {
        match self {
            Cause::Start => "the plugin has just started",
            Cause::Retry => "the last lookup failed and it is being looked up again",
            Cause::SettingsChanged => {
                "auth_awsiam_sts_endpoint or auth_awsiam_region changed and it is being learned again (the old one is no longer trusted)"
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Pending(Cause),
    Known {
        account: String,
        arn: String,
    },
    Unknown(String),
    /// Forgotten after the STS endpoint or region changed; no lookup yet (`learn_if_stale`).
    Stale,
}

/// The state and the generation of the lookup that may set it.
struct Slot {
    generation: u64,
    state: State,
}

struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| Shared {
    slot: Mutex::new(Slot {
        generation: 0,
        state: State::Unknown("the plugin has not started".into()),
    }),
    changed: Condvar::new(),
});

fn slot() -> MutexGuard<'static, Slot> {
    SHARED.slot.lock().unwrap_or_else(|e| e.into_inner())
}

/// Asks the worker to give up early (plugin stop, or a newer lookup).
#[derive(Default)]
struct StopSignal {
    stopped: AtomicBool,
    notify: Notify,
}

struct Worker {
    handle: JoinHandle<()>,
    stop: Arc<StopSignal>,
}

impl Worker {
    fn signal(&self) {
        self.stop.stopped.store(true, Ordering::SeqCst);
        self.stop.notify.notify_one();
    }
}

/// The newest lookup, and older ones still finishing. An older one is asked to stop and
/// left to end by itself (within its STS timeouts): a settings change must not wait for a
/// hanging STS, since MySQL applies it under its lock of the system variables. Ended ones
/// are joined at the next lookup; all are joined at plugin stop.
#[derive(Default)]
struct Workers {
    current: Option<Worker>,
    retired: Vec<Worker>,
}

static WORKERS: Mutex<Workers> = Mutex::new(Workers {
    current: None,
    retired: Vec::new(),
});

fn workers() -> MutexGuard<'static, Workers> {
    WORKERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// When lookups may be started again, and with what credentials (tests give their own).
/// Held while a lookup is launched or the plugin stops, so none starts after a stop.
struct Retry {
    running: bool,
    last: Option<Instant>,
    creds: Option<Credentials>,
}

static RETRY: Mutex<Retry> = Mutex::new(Retry {
    running: false,
    last: None,
    creds: None,
});

fn retry() -> MutexGuard<'static, Retry> {
    RETRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets the state whatever lookup is in flight (tests, plugin stop).
fn set_state(s: State) {
    slot().state = s;
    SHARED.changed.notify_all();
}

/// A new generation, pending: from now on no older lookup sets the state.
fn begin(cause: Cause) -> u64 {
    let mut slot = slot();
    slot.generation += 1;
    slot.state = State::Pending(cause);
    SHARED.changed.notify_all();
    slot.generation
}

pub fn state() -> State {
    slot().state.clone()
}

/// The account if known now (never waits).
pub fn account() -> Option<String> {
    match state() {
        State::Known { account, .. } => Some(account),
        _ => None,
    }
}

/// The server's own account as the allowed set, waiting up to `timeout` while it is being
/// learned. A failed lookup is retried first if it is older than `RETRY_INTERVAL`.
pub fn allowed_accounts(timeout: Duration) -> Result<AllowedAccounts, Refusal> {
    learn_if_stale();
    retry_if_due();
    let guard = slot();
    let (guard, _) = SHARED
        .changed
        .wait_timeout_while(guard, timeout, |s| matches!(s.state, State::Pending(_)))
        .unwrap_or_else(|e| e.into_inner());
    match &guard.state {
        State::Known { account, .. } => Ok(AllowedAccounts {
            accounts: vec![account.clone()],
            source: AccountSource::ServerOwn,
        }),
        State::Unknown(why) => Err(no_allowed_account(&short(why))),
        State::Pending(cause) => Err(pending(*cause)),
        // Only while the plugin stops: `learn_if_stale` started a lookup otherwise.
        State::Stale => Err(pending(Cause::SettingsChanged)),
    }
}

/// The refusal while the account is being learned.
fn pending(cause: Cause) -> Refusal {
    refuse(
        Reason::ServerAccountPending,
        format!(
            "the server's own AWS account is not known yet: {}; logins that need it are refused until it is (or set auth_awsiam_allowed_accounts)",
            cause.describe()
        ),
    )
}

/// The head of a lookup failure (before its first ": "), for the per-login line.
fn short(why: &str) -> String {
    let head = why.split(": ").next().unwrap_or(why);
    let mut head: String = head.chars().take(MAX_WHY_IN_REFUSAL).collect();
    if head.len() < why.len() {
        head.push_str("; the whole reason was logged when the lookup failed");
    }
    head
}

fn retry_if_due() {
    if !matches!(state(), State::Unknown(_)) {
        return;
    }
    let mut retry = retry();
    if !retry.running || retry.last.is_some_and(|t| t.elapsed() < RETRY_INTERVAL) {
        return;
    }
    log::info!("looking up the server's AWS account again (the last lookup failed)");
    let creds = retry.creds.clone();
    launch(&mut retry, config::current(), creds, Cause::Retry);
}

/// Starts learning the account at plugin start; a failed lookup is retried on demand
/// (`allowed_accounts`), with the settings then in force.
pub fn start() {
    start_with(config::current(), None);
}

/// `start` with given settings and, instead of aws-config's chain, given credentials.
pub fn start_with(cfg: Arc<Config>, creds: Option<Credentials>) {
    let mut retry = retry();
    retry.running = true;
    launch(&mut retry, cfg, creds, Cause::Start);
}

/// The STS endpoint or region changed (`Config::same_identity_lookup`): the account
/// learned under the old ones is dropped at once, and a lookup still in flight can no
/// longer set it. Never waits: that lookup is left to end by itself.
pub fn forget() {
    let retry = retry();
    if !retry.running {
        return;
    }
    retire(&mut workers());
    let mut slot = slot();
    slot.generation += 1;
    slot.state = State::Stale;
    SHARED.changed.notify_all();
    drop(slot);
    drop(retry);
    log::info!(
        "auth_awsiam_sts_endpoint or auth_awsiam_region changed: the server's AWS account learned before is no longer trusted; it is learned again when needed"
    );
}

/// Learns the account again after `forget`, with the settings in force: called when it is
/// needed (no auth_awsiam_allowed_accounts). Never waits.
pub fn learn_if_stale() {
    if state() != State::Stale {
        return;
    }
    let mut retry = retry();
    if !retry.running || state() != State::Stale {
        return;
    }
    let creds = retry.creds.clone();
    launch(&mut retry, config::current(), creds, Cause::SettingsChanged);
}

/// Asks every lookup in flight to stop, without waiting; joins those that have ended.
fn retire(workers: &mut Workers) {
    let current = workers.current.take();
    let (ended, running): (Vec<Worker>, Vec<Worker>) = workers
        .retired
        .drain(..)
        .chain(current)
        .partition(|w| w.handle.is_finished());
    for w in ended {
        let _ = w.handle.join();
    }
    for w in &running {
        w.signal();
    }
    workers.retired = running;
}

fn launch(retry: &mut Retry, cfg: Arc<Config>, creds: Option<Credentials>, cause: Cause) {
    retry.last = Some(Instant::now());
    retry.creds = creds.clone();
    let mut workers = workers();
    retire(&mut workers);
    let generation = begin(cause);
    let signal = Arc::new(StopSignal::default());
    let worker_signal = signal.clone();
    let spawned = thread::Builder::new()
        .name(THREAD_NAME.into())
        .spawn(move || run(&cfg, creds, &worker_signal, generation));
    match spawned {
        Ok(handle) => {
            workers.current = Some(Worker {
                handle,
                stop: signal,
            })
        }
        Err(e) => finish(generation, Err(format!("cannot start a thread: {e}"))),
    }
}

/// Stops and joins every lookup, and no lookup starts again until the next start. Bounded:
/// credential loading is cancelled, the STS call has its own timeouts.
pub fn stop() {
    let mut retry = retry();
    retry.running = false;
    let all: Vec<Worker> = {
        let mut workers = workers();
        let current = workers.current.take();
        workers.retired.drain(..).chain(current).collect()
    };
    for w in &all {
        w.signal();
    }
    for w in all {
        let _ = w.handle.join();
    }
    drop(retry);
    if matches!(state(), State::Pending(_) | State::Stale) {
        set_state(State::Unknown(
            "the plugin stopped before it was learned".into(),
        ));
    }
}

fn run(cfg: &Config, creds: Option<Credentials>, stop: &StopSignal, generation: u64) {
    let result = catch_unwind(AssertUnwindSafe(|| learn(cfg, creds, stop)))
        .unwrap_or_else(|_| Err("internal error (panic) while learning it".into()));
    // Stopped: the plugin is stopping (it sets the state) or a newer lookup took over.
    if !stop.stopped.load(Ordering::SeqCst) {
        finish(generation, result);
    }
}

/// The outcome of lookup `generation`; dropped if a newer lookup has started since.
fn finish(generation: u64, result: Result<(String, String), String>) {
    let mut slot = slot();
    if slot.generation != generation {
        return;
    }
    slot.state = match result {
        Ok((account, arn)) => {
            log::info!("server AWS account is {account} (as {arn})");
            State::Known { account, arn }
        }
        Err(why) => {
            log::warn!(
                "could not learn the server's AWS account: {why}; logins are refused unless auth_awsiam_allowed_accounts is set"
            );
            State::Unknown(why)
        }
    };
    SHARED.changed.notify_all();
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
        .map_err(|e| format!("no AWS credentials: {}", crate::aws_error::describe(&e)))
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

    /// Points the settings in force at a (fake) STS.
    fn point_at(addr: &str) {
        let endpoint = crate::config::parse_endpoint(&format!("http://{addr}")).unwrap();
        let _ = config::update(|c| {
            c.endpoint = endpoint;
            Ok::<(), ()>(())
        });
    }

    #[test]
    fn a_short_lookup_failure_is_repeated_whole_without_a_pointer_to_the_log() {
        assert_eq!(short("no AWS credentials"), "no AWS credentials");
        let longest = "x".repeat(MAX_WHY_IN_REFUSAL);
        assert_eq!(short(&longest), longest);
        assert_eq!(
            short(&format!("{longest}x")),
            format!("{longest}; the whole reason was logged when the lookup failed")
        );
        assert_eq!(
            short("sts_unreachable: connection refused"),
            "sts_unreachable; the whole reason was logged when the lookup failed"
        );
    }

    // Global state: one test drives the whole life cycle so that tests do not race.
    #[test]
    fn life_cycle_without_credentials_source() {
        // Before start: unknown, and waiting does not block.
        stop();
        let e = allowed_accounts(Duration::from_millis(10)).unwrap_err();
        assert_eq!(e.reason, crate::error::Reason::NoAllowedAccount);

        // Pending: a login waits, bounded, then is refused for that reason.
        let first = begin(Cause::Start);
        let t = std::time::Instant::now();
        let e = allowed_accounts(Duration::from_millis(200)).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(200));
        assert_eq!(e.reason, Reason::ServerAccountPending);
        assert!(
            e.detail
                .contains("not known yet: the plugin has just started"),
            "{}",
            e.detail
        );

        // Only the newest lookup sets the state: an older one that ends late is dropped.
        let newest = begin(Cause::SettingsChanged);
        finish(
            first,
            Ok((
                "999999999999".into(),
                "arn:aws:iam::999999999999:root".into(),
            )),
        );
        assert_eq!(state(), State::Pending(Cause::SettingsChanged));

        // A waiter is woken as soon as the account is known.
        let waiter = thread::spawn(|| allowed_accounts(Duration::from_secs(5)));
        thread::sleep(Duration::from_millis(50));
        finish(
            newest,
            Ok((
                "123456789012".into(),
                "arn:aws:iam::123456789012:root".into(),
            )),
        );
        let got = waiter.join().unwrap().unwrap();
        assert_eq!(got.accounts, vec!["123456789012".to_string()]);
        assert_eq!(got.source, AccountSource::ServerOwn);
        assert_eq!(account().as_deref(), Some("123456789012"));

        finish(newest, Err("no AWS credentials".into()));
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
        // Each refused login repeats only the head of the reason, not the whole of it.
        assert!(!e.detail.contains("127.0.0.1:9"), "{}", e.detail);
        assert!(
            e.detail.contains("logged when the lookup failed"),
            "{}",
            e.detail
        );

        // The DBA fixes the endpoint: within RETRY_INTERVAL nothing is retried...
        let (addr, handle) = fake_sts(1, |_| {
            Some(http(
                "200 OK",
                &success_xml("arn:aws:iam::210987654321:user/dbserver", "210987654321"),
            ))
        });
        let endpoint = crate::config::parse_endpoint(&format!("http://{addr}")).unwrap();
        let _ = config::update(|c| {
            c.endpoint = endpoint.clone();
            Ok::<(), ()>(())
        });
        assert!(allowed_accounts(Duration::ZERO).is_err());
        assert!(
            matches!(state(), State::Unknown(_)),
            "no lookup started within RETRY_INTERVAL: {:?}",
            state()
        );
        // ...after it, the next login starts a new lookup with the settings in force.
        RETRY.lock().unwrap().last = Some(Instant::now() - RETRY_INTERVAL);
        let got = allowed_accounts(Duration::from_secs(5)).unwrap();
        assert_eq!(got.accounts, vec!["210987654321".to_string()]);
        handle.join().unwrap();

        // The DBA points the server at another STS, which answers for another account (a
        // slow one: it answers when the test opens its gate). The old account is dropped
        // at once, and logins that need it are refused until the new one is known.
        let (gate, opened) = std::sync::mpsc::channel::<()>();
        let (addr, slow) = fake_sts(1, move |_| {
            opened.recv().ok()?;
            Some(http(
                "200 OK",
                &success_xml("arn:aws:iam::111122223333:user/dbserver", "111122223333"),
            ))
        });
        point_at(&addr);
        // With auth_awsiam_allowed_accounts set, the account is only forgotten...
        forget();
        assert_eq!(state(), State::Stale);
        assert_eq!(account(), None, "the old account is dropped at once");
        assert!(WORKERS.lock().unwrap().current.is_none(), "no lookup yet");
        // ...and learned again when needed: that variable emptied, or a login needing it.
        learn_if_stale();
        assert_eq!(state(), State::Pending(Cause::SettingsChanged));
        let e = allowed_accounts(Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.reason, Reason::ServerAccountPending);
        assert!(
            e.detail
                .contains("auth_awsiam_sts_endpoint or auth_awsiam_region changed"),
            "{}",
            e.detail
        );
        // Changed again while that lookup still waits on its STS: the change does not
        // wait for it, and the newer lookup decides.
        let (addr, fast) = fake_sts(1, |_| {
            Some(http(
                "200 OK",
                &success_xml("arn:aws:iam::444455556666:user/dbserver", "444455556666"),
            ))
        });
        point_at(&addr);
        let slow_lookup = slot().generation;
        let t = Instant::now();
        forget();
        assert!(t.elapsed() < Duration::from_secs(1), "a change never waits");
        assert_eq!(state(), State::Stale);
        let asked_to_stop: Vec<bool> = (WORKERS.lock().unwrap().retired.iter())
            .map(|w| w.stop.stopped.load(Ordering::SeqCst))
            .collect();
        assert_eq!(
            asked_to_stop,
            [true],
            "the lookup left behind is asked to stop (and to give up loading credentials)"
        );
        // Had it passed its stop check just before, its answer still sets nothing: not now,
        // nor once the next lookup has begun (below).
        let old_answer = || {
            Ok((
                "111122223333".into(),
                "arn:aws:iam::111122223333:user/dbserver".into(),
            ))
        };
        finish(slow_lookup, old_answer());
        assert_eq!(state(), State::Stale);
        // A login that needs it starts the lookup itself.
        let got = allowed_accounts(Duration::from_secs(5)).unwrap();
        assert_eq!(got.accounts, vec!["444455556666".to_string()]);
        fast.join().unwrap();
        finish(slow_lookup, old_answer());
        assert_eq!(account().as_deref(), Some("444455556666"));
        // The slow STS answers at last: too late, its lookup is dropped.
        gate.send(()).unwrap();
        slow.join().unwrap();
        stop();
        assert_eq!(account().as_deref(), Some("444455556666"));
        assert!(matches!(state(), State::Known { arn, .. } if arn.contains("444455556666")));

        // After stop, no login starts a lookup, and no change does.
        stop();
        forget();
        learn_if_stale();
        assert!(
            WORKERS.lock().unwrap().current.is_none(),
            "no lookup after stop"
        );
        // Not even if a login finds the account stale (a forget() just before stop() turned
        // it into Unknown).
        set_state(State::Stale);
        learn_if_stale();
        assert!(
            WORKERS.lock().unwrap().current.is_none(),
            "no lookup after stop"
        );
        set_state(State::Unknown("stopped".into()));
        RETRY.lock().unwrap().last = None;
        assert!(allowed_accounts(Duration::ZERO).is_err());
        assert!(
            WORKERS.lock().unwrap().current.is_none(),
            "no lookup after stop"
        );
        let _ = config::update(|c| {
            c.endpoint = None;
            Ok::<(), ()>(())
        });
    }
}
