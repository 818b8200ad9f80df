//! Name lookups for new STS connections, without a thread per lookup.
//!
//! The system resolver (`getaddrinfo`) takes no timeout, so a lookup runs in a worker
//! thread and the login waits for it at most its own STS timeout. The workers are few
//! (`MAX_LOOKUP_THREADS`), started on demand, kept for `LOOKUP_THREAD_IDLE` after their
//! last lookup, and joined at plugin stop: no thread of the plugin outlives it (mysqld may
//! unload the library). Concurrent lookups of the same name share one lookup, so a burst
//! of new connections to one STS host costs one lookup, not one each.
//!
//! Answers are not cached: `getaddrinfo` does not say how long they are good for (the
//! DNS TTL), and the connection pool keeps new connections, hence lookups, rare. At plugin
//! stop a worker in the middle of a lookup is waited for (bounded by the resolver's own
//! timeouts, `/etc/resolv.conf`); lookups still queued are dropped at once.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Most lookup threads alive at once.
pub const MAX_LOOKUP_THREADS: usize = 4;
/// Most distinct names being looked up or waiting for a thread. Past it a new name is
/// refused at once: lookups pile up only when the resolver hangs.
pub const MAX_LOOKUPS: usize = 16;
/// How long a lookup thread waits for more work before it ends.
pub const LOOKUP_THREAD_IDLE: Duration = Duration::from_secs(30);

/// Why a lookup gave no address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// `MAX_LOOKUPS` names are already being looked up.
    Busy,
    /// No answer within the caller's timeout (the lookup goes on in its thread).
    Timeout,
    /// The plugin is stopping.
    Stopping,
    /// The resolver's own error, or no thread could be started.
    Failed(String),
}

type Answer = Result<Vec<SocketAddr>, String>;

/// One lookup, shared by every caller asking for the same name meanwhile.
#[derive(Default)]
struct Lookup {
    answer: Mutex<Option<Result<Vec<SocketAddr>, LookupError>>>,
    done: Condvar,
}

impl Lookup {
    fn finish(&self, answer: Result<Vec<SocketAddr>, LookupError>) {
        *lock(&self.answer) = Some(answer);
        self.done.notify_all();
    }
}

#[derive(Default)]
struct Lookups {
    /// Names looked up or queued, by `host:port`.
    pending: HashMap<String, Arc<Lookup>>,
    queue: VecDeque<(String, Arc<Lookup>)>,
    threads: Vec<JoinHandle<()>>,
    /// Threads that have not yet decided to end.
    live: usize,
    /// Of those, threads waiting for work.
    idle: usize,
    stopping: bool,
}

/// The lookup threads and their work (see the module documentation).
pub struct Resolver {
    state: Mutex<Lookups>,
    work: Condvar,
    /// The lookup itself (a parameter for tests).
    lookup: fn(&str) -> Answer,
    idle_for: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn system_lookup(host_port: &str) -> Answer {
    host_port
        .to_socket_addrs()
        .map(Iterator::collect)
        .map_err(|e| e.to_string())
}

impl Resolver {
    pub fn new() -> Self {
        Self::with(system_lookup, LOOKUP_THREAD_IDLE)
    }

    fn with(lookup: fn(&str) -> Answer, idle_for: Duration) -> Self {
        Resolver {
            state: Mutex::new(Lookups::default()),
            work: Condvar::new(),
            lookup,
            idle_for,
        }
    }

    /// The addresses of `host_port`, waiting at most `timeout`.
    pub fn lookup(
        self: &Arc<Self>,
        host_port: &str,
        timeout: Duration,
    ) -> Result<Vec<SocketAddr>, LookupError> {
        // No deadline when the timeout is "never" (too far to add to now).
        let deadline = Instant::now().checked_add(timeout);
        let lookup = self.join_or_queue(host_port)?;
        let mut answer = lock(&lookup.answer);
        loop {
            if let Some(a) = answer.as_ref() {
                return a.clone();
            }
            answer = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(LookupError::Timeout);
                    }
                    lookup
                        .done
                        .wait_timeout(answer, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => lookup.done.wait(answer).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }

    fn join_or_queue(self: &Arc<Self>, host_port: &str) -> Result<Arc<Lookup>, LookupError> {
        let mut st = lock(&self.state);
        if st.stopping {
            return Err(LookupError::Stopping);
        }
        if let Some(l) = st.pending.get(host_port) {
            return Ok(Arc::clone(l));
        }
        if st.pending.len() >= MAX_LOOKUPS {
            return Err(LookupError::Busy);
        }
        let l = Arc::new(Lookup::default());
        st.pending.insert(host_port.to_string(), Arc::clone(&l));
        st.queue.push_back((host_port.to_string(), Arc::clone(&l)));
        if st.idle > 0 || st.live >= MAX_LOOKUP_THREADS {
            self.work.notify_one();
            return Ok(l);
        }
        // Threads that ended are joined here, so the list stays short.
        let (ended, running): (Vec<_>, Vec<_>) =
            st.threads.drain(..).partition(JoinHandle::is_finished);
        st.threads = running;
        let me = Arc::clone(self);
        match thread::Builder::new()
            .name("auth_awsiam_dns".into())
            .spawn(move || me.work())
        {
            Ok(handle) => {
                st.threads.push(handle);
                st.live += 1;
            }
            Err(e) if st.live == 0 => {
                st.pending.remove(host_port);
                st.queue.clear();
                return Err(LookupError::Failed(format!(
                    "cannot start a lookup thread: {e}"
                )));
            }
            // A live thread takes the lookup when it is done with its own.
            Err(_) => {}
        }
        drop(st);
        for h in ended {
            let _ = h.join();
        }
        Ok(l)
    }

    /// A lookup thread: takes queued names until there is no work for `idle_for`.
    fn work(&self) {
        let mut st = lock(&self.state);
        loop {
            if let Some((name, lookup)) = st.queue.pop_front() {
                drop(st);
                let answer = (self.lookup)(&name).map_err(LookupError::Failed);
                lookup.finish(answer);
                st = lock(&self.state);
                if st
                    .pending
                    .get(&name)
                    .is_some_and(|l| Arc::ptr_eq(l, &lookup))
                {
                    st.pending.remove(&name);
                }
                continue;
            }
            if st.stopping {
                break;
            }
            st.idle += 1;
            let (guard, waited) = self
                .work
                .wait_timeout(st, self.idle_for)
                .unwrap_or_else(|e| e.into_inner());
            st = guard;
            st.idle -= 1;
            if waited.timed_out() && st.queue.is_empty() {
                break;
            }
        }
        st.live -= 1;
    }

    /// Plugin stop: drops queued lookups, wakes idle threads, joins every thread (one in
    /// the middle of a lookup finishes it first). New lookups are refused meanwhile.
    pub fn stop(&self) {
        let threads = {
            let mut st = lock(&self.state);
            st.stopping = true;
            for (name, lookup) in std::mem::take(&mut st.queue) {
                st.pending.remove(&name);
                lookup.finish(Err(LookupError::Stopping));
            }
            self.work.notify_all();
            std::mem::take(&mut st.threads)
        };
        for h in threads {
            let _ = h.join();
        }
        lock(&self.state).stopping = false;
    }

    /// Threads alive (for tests and the documentation's claims).
    #[cfg(test)]
    pub fn threads(&self) -> usize {
        lock(&self.state).live
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

    fn slow(name: &str) -> Answer {
        SLOW_CALLS.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(200));
        if name.starts_with("bad") {
            return Err("no such host".into());
        }
        Ok(vec!["127.0.0.1:443".parse().unwrap()])
    }

    #[test]
    fn a_burst_for_one_name_is_one_lookup_on_one_thread() {
        let r = Arc::new(Resolver::with(slow, Duration::from_secs(30)));
        let before = SLOW_CALLS.load(Ordering::SeqCst);
        let got: Vec<_> = thread::scope(|s| {
            let hs: Vec<_> = (0..32)
                .map(|_| s.spawn(|| r.lookup("sts.example:443", Duration::from_secs(5))))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(got.iter().all(|a| a.as_ref().unwrap()[0].port() == 443));
        assert_eq!(SLOW_CALLS.load(Ordering::SeqCst) - before, 1);
        assert_eq!(r.threads(), 1);
        // Later lookups reuse the thread that is still alive.
        for _ in 0..5 {
            r.lookup("sts.example:443", Duration::from_secs(5)).unwrap();
        }
        assert_eq!(r.threads(), 1);
        assert_eq!(
            r.lookup("bad.example:443", Duration::from_secs(5)),
            Err(LookupError::Failed("no such host".into()))
        );
        r.stop();
        assert_eq!(r.threads(), 0);
    }

    #[test]
    fn threads_and_names_are_capped_and_a_waiter_times_out() {
        let r = Arc::new(Resolver::with(slow, Duration::from_secs(30)));
        let answers: Vec<_> = thread::scope(|s| {
            let hs: Vec<_> = (0..MAX_LOOKUPS + 4)
                .map(|i| {
                    let r = &r;
                    s.spawn(move || r.lookup(&format!("h{i}:443"), Duration::from_millis(50)))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(r.threads() <= MAX_LOOKUP_THREADS);
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, Err(LookupError::Timeout) | Err(LookupError::Busy)))
        );
        assert!(answers.contains(&Err(LookupError::Busy)));
        // Stop drops what is still queued and joins the threads promptly: only lookups
        // in progress (one per thread, 200 ms here) are waited for.
        let started = Instant::now();
        r.stop();
        assert!(started.elapsed() < Duration::from_millis(1000));
        assert_eq!(r.threads(), 0);
        // And the resolver works again afterwards (a plugin installed again).
        assert!(r.lookup("h0:443", Duration::from_secs(5)).is_ok());
        r.stop();
    }

    #[test]
    fn idle_threads_end_by_themselves() {
        let r = Arc::new(Resolver::with(slow, Duration::from_millis(50)));
        r.lookup("a:443", Duration::from_secs(5)).unwrap();
        thread::sleep(Duration::from_millis(400));
        assert_eq!(r.threads(), 0);
        r.lookup("a:443", Duration::from_secs(5)).unwrap();
        r.stop();
    }

    #[test]
    fn the_system_lookup_answers_localhost() {
        let r = Arc::new(Resolver::new());
        let got = r.lookup("localhost:9", Duration::from_secs(5)).unwrap();
        assert!(got.iter().any(|a| a.ip().is_loopback() && a.port() == 9));
        r.stop();
    }
}
