//! Whose AWS identity the proxy logs in with, for each login's log line: the ARN STS
//! gives for the credentials that signed it. Asked of STS once per access key, the way the
//! server learns its own account: the signed GetCallerIdentity that went to the server
//! (a token, or the one inside a challenge answer) is sent to STS by the core's client.
//! The proxy's first identity is learned before it takes connections; a new access key's
//! (credentials refreshed, a role session renewed) in the background, so a login never
//! waits for it: the lines of the logins before it is known say so.

use std::sync::{Arc, Mutex, PoisonError};

use auth_awsiam_core::config::Config;
use auth_awsiam_core::sts;
use auth_awsiam_core::token::Token;

/// The ARNs learned, by access key.
pub struct Identity {
    /// How the core's STS client reaches STS: the endpoint of `--sts-endpoint`.
    sts: Config,
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    /// The access key last looked up, and its ARN (`None` while the lookup runs or after
    /// it failed; a failed one is not retried for the same key).
    key: String,
    arn: Option<String>,
}

impl Identity {
    pub fn new(sts: Config) -> Identity {
        Identity {
            sts,
            known: Mutex::new(Known::default()),
        }
    }

    /// The ARN of the credentials that signed `token`, if known. Otherwise it starts
    /// finding it, in the background, and says `None`.
    pub fn arn_of(self: &Arc<Self>, token: &Token) -> Option<String> {
        let key = token.access_key_id();
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.key == key {
            return known.arn.clone();
        }
        *known = Known {
            key: key.to_string(),
            arn: None,
        };
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

    /// Asks STS who signed `token`, and keeps the answer (if the key is still the one
    /// last seen). Logs the identity, or why it is not known.
    pub fn learn(&self, token: &Token) {
        let asked = sts::resolve_target(token, &self.sts)
            .and_then(|target| sts::call(&target, token, &self.sts))
            .map(|caller| caller.arn);
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.key.is_empty() {
            known.key = token.access_key_id().to_string();
        }
        match asked {
            Ok(arn) => {
                log::info!("AWS identity: {arn}");
                if known.key == token.access_key_id() {
                    known.arn = Some(arn);
                }
            }
            Err(refusal) => log::warn!("AWS identity not known: {refusal}"),
        }
    }
}
