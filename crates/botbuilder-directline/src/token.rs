//! Direct Line tokens: short-lived HS256 JWTs naming one conversation (and its user), signed
//! with the endpoint's secret, or with a random per-process key when it has none (loopback).
//! Expiry is decided with the injectable clock.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use botbuilder_connector::ConnectorError;
use botbuilder_connector::auth::Secret;

/// The `iss` of the tokens this endpoint issues.
const ISSUER: &str = "botbuilder-directline";

/// What a token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Claims {
    iss: String,
    /// The conversation the token opens.
    pub(super) conv: String,
    /// The user the token was issued for.
    pub(super) user: String,
    iat: u64,
    exp: u64,
}

/// Why a bearer value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Not a token of this endpoint (bad signature, malformed, another issuer).
    Invalid,
    /// A token of this endpoint whose lifetime is over.
    Expired,
}

/// Issues and checks tokens; knows the secret.
pub(super) struct Tokens {
    secret: Option<Secret>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("secret", &self.secret)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

fn seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Fills a buffer from the operating system's random source.
pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], ConnectorError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| ConnectorError::crypto("the system's random source failed", e))?;
    Ok(bytes)
}

impl Tokens {
    /// Tokens signed with `secret`, or with a random key when there is none.
    pub(super) fn new(secret: Option<Secret>, lifetime: Duration) -> Result<Self, ConnectorError> {
        let key: Vec<u8> = match &secret {
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => random_bytes::<32>()?.to_vec(),
        };
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the endpoint's clock, below.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        validation.set_issuer(&[ISSUER]);
        Ok(Self {
            secret,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            lifetime,
        })
    }

    /// Whether a secret is configured.
    pub(super) fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// The token lifetime, in seconds (`expires_in`).
    pub(super) fn expires_in(&self) -> u64 {
        self.lifetime.as_secs()
    }

    /// Whether `bearer` is the configured secret (compared in constant time).
    pub(super) fn is_secret(&self, bearer: &str) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        let (a, b) = (secret.expose().as_bytes(), bearer.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// A token for `conversation` and `user`, valid for the lifetime from `now`.
    pub(super) fn issue(
        &self,
        conversation: &str,
        user: &str,
        now: SystemTime,
    ) -> Result<String, ConnectorError> {
        let iat = seconds(now);
        let claims = Claims {
            iss: ISSUER.to_owned(),
            conv: conversation.to_owned(),
            user: user.to_owned(),
            iat,
            exp: iat.saturating_add(self.lifetime.as_secs()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ConnectorError::crypto("could not sign a Direct Line token", e))
    }

    /// The claims of a token this endpoint issued and that has not expired at `now`.
    pub(super) fn verify(&self, token: &str, now: SystemTime) -> Result<Claims, Refused> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| Refused::Invalid)?;
        if seconds(now) >= data.claims.exp {
            return Err(Refused::Expired);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_conversation_and_expire_on_the_given_clock() {
        let tokens = Tokens::new(None, Duration::from_secs(1800)).unwrap();
        let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let token = tokens.issue("conv-1", "user-1", start).unwrap();
        let claims = tokens.verify(&token, start).unwrap();
        assert_eq!(
            (claims.conv.as_str(), claims.user.as_str()),
            ("conv-1", "user-1")
        );
        assert!(
            tokens
                .verify(&token, start + Duration::from_secs(1799))
                .is_ok()
        );
        assert_eq!(
            tokens.verify(&token, start + Duration::from_secs(1800)),
            Err(Refused::Expired)
        );
        // Another endpoint's key, or a tampered token, is not ours.
        let other = Tokens::new(None, Duration::from_secs(1800)).unwrap();
        assert_eq!(other.verify(&token, start), Err(Refused::Invalid));
        assert_eq!(tokens.verify("garbage", start), Err(Refused::Invalid));
        assert!(!tokens.has_secret());
        assert!(!tokens.is_secret(""));
    }

    #[test]
    fn a_secret_signs_tokens_and_is_recognised_but_never_printed() {
        let a = Tokens::new(Some(Secret::new("s3cret-s3cret")), Duration::from_secs(60)).unwrap();
        let b = Tokens::new(Some(Secret::new("s3cret-s3cret")), Duration::from_secs(60)).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(10);
        let token = a.issue("c", "u", now).unwrap();
        assert!(b.verify(&token, now).is_ok(), "same secret, same key");
        assert!(a.is_secret("s3cret-s3cret"));
        assert!(!a.is_secret("s3cret-s3creT"));
        assert!(!a.is_secret("s3cret"));
        assert!(!format!("{a:?}").contains("s3cret"));
    }
}
