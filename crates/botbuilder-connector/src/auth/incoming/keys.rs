//! The signing keys of one issuer: its OpenID metadata document points at a JWKS, whose RSA
//! keys are cached, refreshed daily and on an unknown key id (at most once a minute).

use botbuilder_core::error::report;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use jsonwebtoken::DecodingKey;
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use crate::clock::Clock;
use crate::error::one_line;
use crate::urls::parse_secure;

/// Keys older than this are fetched again.
pub(crate) const REFRESH_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// The least time between two fetches (an unknown key id triggers one).
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// The largest metadata or JWKS document read.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// How long one metadata or JWKS request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// One RSA signing key and the channels it is endorsed for.
pub(crate) struct SigningKey {
    pub(crate) key: DecodingKey,
    pub(crate) endorsements: Vec<String>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("endorsements", &self.endorsements)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    keys: Arc<HashMap<String, Arc<SigningKey>>>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<SystemTime>,
    /// When a fetch was last started (successful or not).
    attempted_at: Option<SystemTime>,
}

/// The key cache of one OpenID metadata URL.
///
/// Reads take a short read lock; one fetch runs at a time (others wait for it and then use
/// its keys). Cancel-safe: a dropped fetch leaves the old keys, and the next fetch waits for
/// the minimum interval.
pub(crate) struct OpenIdKeys {
    metadata_url: Url,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl fmt::Debug for OpenIdKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("OpenIdKeys")
            .field("metadata_url", &self.metadata_url.as_str())
            .field("keys", &state.keys.len())
            .field("fetched_at", &state.fetched_at)
            .finish_non_exhaustive()
    }
}

fn age(now: SystemTime, then: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or(Duration::ZERO)
}

impl OpenIdKeys {
    pub(crate) fn new(metadata_url: Url, http: reqwest::Client, clock: Arc<dyn Clock>) -> Self {
        Self {
            metadata_url,
            http,
            clock,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key with this id. Fetches the keys when there are none yet, when they are a day
    /// old, or when the id is unknown, but never twice within [`MIN_REFRESH_INTERVAL`]; a
    /// failed refresh keeps the keys already known.
    ///
    /// # Errors
    /// Why no key was found (for the log line of the refused request).
    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<SigningKey>, String> {
        let now = self.clock.now();
        let (found, fresh, attempted_at) = {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            (
                state.keys.get(kid).cloned(),
                state
                    .fetched_at
                    .is_some_and(|t| age(now, t) < REFRESH_EVERY),
                state.attempted_at,
            )
        };
        if let Some(key) = &found
            && fresh
        {
            return Ok(Arc::clone(key));
        }
        let may_fetch = attempted_at.is_none_or(|t| age(now, t) >= MIN_REFRESH_INTERVAL);
        if may_fetch {
            self.refresh(attempted_at).await;
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        match state.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None if state.fetched_at.is_none() => Err(format!(
                "no signing keys could be loaded from {}",
                self.metadata_url
            )),
            None => Err(format!(
                "signing key `{}` is not published at {}",
                one_line(kid, 80),
                self.metadata_url
            )),
        }
    }

    /// Fetches the keys, unless another task started a fetch since `seen_attempt`.
    async fn refresh(&self, seen_attempt: Option<SystemTime>) {
        let _one_at_a_time = self.fetching.lock().await;
        {
            let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
            if state.attempted_at != seen_attempt {
                return;
            }
            state.attempted_at = Some(self.clock.now());
        }
        match self.fetch().await {
            Ok(keys) => {
                tracing::debug!(metadata = %self.metadata_url, keys = keys.len(), "signing keys loaded");
                let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
                state.keys = Arc::new(keys);
                state.fetched_at = Some(self.clock.now());
            }
            Err(reason) => {
                tracing::warn!(metadata = %self.metadata_url, %reason, "could not refresh the signing keys; keeping the ones already known");
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<SigningKey>>, String> {
        let metadata: Metadata = serde_json::from_slice(&self.get(&self.metadata_url).await?)
            .map_err(|e| {
                format!(
                    "the OpenID metadata at {} is unreadable: {e}",
                    self.metadata_url
                )
            })?;
        let jwks_url = parse_secure(&metadata.jwks_uri, "jwks_uri").map_err(|e| e.to_string())?;
        let jwks: Jwks = serde_json::from_slice(&self.get(&jwks_url).await?)
            .map_err(|e| format!("the JWKS at {jwks_url} is unreadable: {e}"))?;
        let keys: HashMap<String, Arc<SigningKey>> = jwks
            .keys
            .iter()
            .filter_map(rsa_key)
            .map(|(kid, key)| (kid, Arc::new(key)))
            .collect();
        if keys.is_empty() {
            return Err(format!("the JWKS at {jwks_url} has no RSA signing key"));
        }
        Ok(keys)
    }

    async fn get(&self, url: &Url) -> Result<Vec<u8>, String> {
        let mut response = self
            .http
            .get(url.clone())
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("GET {url} failed: {}", report(&e)))?;
        if !response.status().is_success() {
            return Err(format!("GET {url} answered {}", response.status()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(format!("GET {url}: the document is too large"));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {url} failed: {}", report(&e)))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("GET {url}: the document is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.to_vec())
    }
}

#[derive(Deserialize)]
struct Metadata {
    jwks_uri: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Value>,
}

/// A usable RSA signing key of a JWKS entry; other entries are skipped.
fn rsa_key(entry: &Value) -> Option<(String, SigningKey)> {
    let text = |name: &str| entry.get(name).and_then(Value::as_str);
    let kid = text("kid")?;
    if text("kty").is_some_and(|kty| kty != "RSA") || text("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let key = DecodingKey::from_rsa_components(text("n")?, text("e")?).ok()?;
    let endorsements = entry
        .get("endorsements")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((kid.to_owned(), SigningKey { key, endorsements }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_rsa_signing_keys_are_kept() {
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";
        let jwks = json!({"keys": [
            {"kty": "RSA", "use": "sig", "kid": "a", "n": n, "e": "AQAB", "endorsements": ["msteams", 3]},
            {"kty": "RSA", "use": "enc", "kid": "b", "n": n, "e": "AQAB"},
            {"kty": "EC", "kid": "c", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "kid": "d", "e": "AQAB"},
            {"kty": "RSA", "n": n, "e": "AQAB"},
            "not an object",
        ]});
        let keys: Vec<(String, SigningKey)> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(rsa_key)
            .collect();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, "a");
        assert_eq!(keys[0].1.endorsements, vec!["msteams".to_owned()]);
    }
}
