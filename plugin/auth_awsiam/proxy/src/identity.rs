//! Whose AWS identity the proxy logs in with, for each login's log line: the ARN STS
//! gives for the credentials that signed it. Asked of STS once per access key, the way the
//! server learns its own account: the signed GetCallerIdentity that went to the server
//! (a token, or the one inside a challenge answer) is sent to STS by the core's client.
//! The proxy's first identity is learned before it takes connections; a new access key's
//! (credentials refreshed, a role session renewed) in the background, so a login never
//! waits for it: the lines of the logins before it is known say so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use auth_awsiam_core::config::Config;
use auth_awsiam_core::sts;
use auth_awsiam_core::token::Token;

/// Most access keys remembered. A proxy signs with one set of credentials for its tokens
/// and one for its challenge answers (they may be loaded apart), each renewed now and
/// then; when more come, the old ones are forgotten.
const MAX_KEYS: usize = 16;

/// The ARNs learned, by access key.
pub struct Identity {
    /// How the core's STS client reaches STS: the endpoint of `--sts-endpoint`.
    sts: Config,
    /// Each access key looked up, and its ARN: `None` while the lookup runs, or after it
    /// failed (not tried again for the same key: the failure was logged).
    known: Mutex<HashMap<String, Option<String>>>,
}

impl Identity {
    pub fn new(sts: Config) -> Identity {
        Identity {
            sts,
            known: Mutex::new(HashMap::new()),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<String>>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ARN of the credentials that signed `token`, if known. Otherwise it starts
    /// finding it, in the background, and says `None`.
    pub fn arn_of(self: &Arc<Self>, token: &Token) -> Option<String> {
        let key = token.access_key_id();
        let mut known = self.known();
        if let Some(arn) = known.get(key) {
            return arn.clone();
        }
        if known.len() >= MAX_KEYS {
            known.clear();
        }
        known.insert(key.to_string(), None);
        drop(known);
        let (me, token) = (Arc::clone(self), token.clone());
        let started = std::thread::Builder::new()
            .name("identity".into())
            .spawn(move || me.learn(&token));
        if let Err(e) = started {
            log::warn!("cannot look up the proxy's AWS identity: {e}");
        }
        None
    }

    /// Asks STS who signed `token`, and keeps the answer. Logs the identity, or why it
    /// is not known.
    pub fn learn(&self, token: &Token) {
        let asked = sts::resolve_target(token, &self.sts)
            .and_then(|target| sts::call(&target, token, &self.sts))
            .map(|caller| caller.arn);
        let arn = match asked {
            Ok(arn) => {
                log::info!("AWS identity: {arn}");
                Some(arn)
            }
            Err(refusal) => {
                log::warn!("AWS identity not known: {refusal}");
                None
            }
        };
        self.known().insert(token.access_key_id().to_string(), arn);
    }
}
