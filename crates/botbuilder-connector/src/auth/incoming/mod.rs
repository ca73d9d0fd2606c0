//! Incoming (channel to bot) authentication: proving that a request comes from the Bot
//! Framework or the Emulator before a turn runs.
//!
//! Every request from a channel carries `Authorization: Bearer <JWT>`. The
//! [`RequestAuthenticator`] accepts it when:
//!
//! | check | channel token | Emulator token |
//! |---|---|---|
//! | issuer (`iss`) | `ToBotFromChannelTokenIssuer` | one of [`EMULATOR_ISSUERS`], or the tenant's |
//! | signature | RS256/384/512, a key of `ToBotFromChannelOpenIdMetadataUrl` | a key of `ToBotFromEmulatorOpenIdMetadataUrl` |
//! | lifetime | `exp` (required) and `nbf`, 5 minutes of clock skew | same |
//! | endorsement | the key lists the activity's `channelId` | the key lists it, if it lists any |
//! | bot | `aud` = the app id | `appid` (`ver` 1.0) or `azp` (`ver` 2.0) = the app id |
//! | service URL | `serviceurl` = the activity's `serviceUrl` (ignoring case) | |
//!
//! Signing keys are cached per metadata URL, refreshed daily and when a token names an
//! unknown key (at most once a minute). Metadata and key URLs must be https (http only on
//! loopback hosts, for local tests). Time comes from the injectable [`Clock`].
//!
//! A bot without an app id is anonymous: requests without a token are accepted (the
//! Emulator's default), and a request that does carry a token is refused, since there is no
//! app id to check its audience against.

mod keys;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use botbuilder_schema::Activity;
use jsonwebtoken::{Algorithm, Validation};
use reqwest::Url;
use serde_json::{Map, Value};

use crate::clock::{Clock, SystemClock};
use crate::config::BotConfig;
use crate::error::one_line;
use crate::urls::parse_secure;
use crate::{ConnectorError, default_http_client};

use keys::{OpenIdKeys, SigningKey};

/// The Emulator's token issuers (Microsoft Entra ID v1 and v2 tokens of the Bot Framework's
/// tenants, public cloud and US Government), as BotBuilder lists them.
pub const EMULATOR_ISSUERS: &[&str] = &[
    "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
    "https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0",
    "https://sts.windows.net/f8cdef31-a31e-4b4a-93e4-5f571e91255a/",
    "https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0",
    "https://sts.windows.net/cab8a31a-1906-4287-a0d8-4eef66b95f6e/",
    "https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0",
    "https://login.microsoftonline.us/f8cdef31-a31e-4b4a-93e4-5f571e91255a/",
    "https://login.microsoftonline.us/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0",
];

/// The clock skew allowed on `exp` and `nbf`.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The signing algorithms accepted.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];

/// Tokens whose signature was verified, kept before the cache is emptied. A channel sends
/// the same token with every request until it renews it (about hourly), so a handful of
/// entries serve every request.
const MAX_VERIFIED: usize = 256;

/// What incoming requests are checked against; usually made from a [`BotConfig`] with
/// [`IncomingAuthSettings::from_config`].
///
/// ```
/// use botbuilder_connector::auth::incoming::IncomingAuthSettings;
/// use botbuilder_connector::config::BotConfig;
///
/// let settings = IncomingAuthSettings::from_config(&BotConfig::new("app-id", "pw").with_tenant_id("contoso.onmicrosoft.com"));
/// assert_eq!(settings.channel_token_issuer, "https://api.botframework.com");
/// assert!(settings.emulator_issuers.iter().any(|i| i == "https://sts.windows.net/contoso.onmicrosoft.com/"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingAuthSettings {
    /// The bot's app id; `None` accepts only requests without a token (anonymous).
    pub app_id: Option<String>,
    /// The `iss` of channel tokens.
    pub channel_token_issuer: String,
    /// Where the channel tokens' keys are published.
    pub channel_open_id_metadata_url: String,
    /// Where the Emulator tokens' keys are published.
    pub emulator_open_id_metadata_url: String,
    /// The `iss` values of Emulator tokens.
    pub emulator_issuers: Vec<String>,
    /// The clock skew allowed on `exp` and `nbf` (default [`CLOCK_SKEW`]).
    pub clock_skew: Duration,
}

impl IncomingAuthSettings {
    /// The settings of a configuration: its app id and its cloud's (or overridden) issuer and
    /// metadata URLs; the Emulator issuers plus, when a tenant is configured, that tenant's v1
    /// and v2 issuers (the Emulator signs in single-tenant bots through their tenant).
    #[must_use]
    pub fn from_config(config: &BotConfig) -> Self {
        let mut emulator_issuers: Vec<String> =
            EMULATOR_ISSUERS.iter().map(|s| (*s).to_owned()).collect();
        if let Some(tenant) = config.effective_tenant_id() {
            let login = match config.cloud() {
                Some(crate::auth::Cloud::UsGovernment) => "https://login.microsoftonline.us",
                _ => "https://login.microsoftonline.com",
            };
            emulator_issuers.push(format!("https://sts.windows.net/{tenant}/"));
            emulator_issuers.push(format!("{login}/{tenant}/"));
            emulator_issuers.push(format!("{login}/{tenant}/v2.0"));
        }
        Self {
            app_id: config.effective_app_id().map(str::to_owned),
            channel_token_issuer: config.resolved_channel_token_issuer().to_owned(),
            channel_open_id_metadata_url: config.resolved_channel_open_id_metadata_url().to_owned(),
            emulator_open_id_metadata_url: config
                .resolved_emulator_open_id_metadata_url()
                .to_owned(),
            emulator_issuers,
            clock_skew: CLOCK_SKEW,
        }
    }
}

/// Who sent a request, as proven by its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentitySource {
    /// No token: an anonymous bot's request (the Emulator without an app id).
    Anonymous,
    /// A Bot Framework channel (Teams, Web Chat, ...).
    Channel,
    /// The Bot Framework Emulator, signed in with the bot's app id.
    Emulator,
    /// The bot itself: a proactive turn it started (`continue_conversation`).
    Bot,
}

/// The verified claims of a request's token, and where they came from.
///
/// The adapter puts it in the turn state of every turn it runs
/// (`ctx.turn_state().get::<ClaimsIdentity>()`).
///
/// ```
/// use botbuilder_connector::auth::incoming::{ClaimsIdentity, IdentitySource};
///
/// let bot = ClaimsIdentity::for_bot(Some("app-id"));
/// assert_eq!(bot.source(), IdentitySource::Bot);
/// assert_eq!(bot.app_id(), Some("app-id"));
/// assert!(!ClaimsIdentity::anonymous().is_authenticated());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimsIdentity {
    source: IdentitySource,
    claims: Map<String, Value>,
}

impl ClaimsIdentity {
    /// The identity of a request without a token.
    #[must_use]
    pub fn anonymous() -> Self {
        Self::new(IdentitySource::Anonymous, Map::new())
    }

    /// The identity of the bot itself (`aud` and `azp` = its app id), for proactive turns.
    #[must_use]
    pub fn for_bot(app_id: Option<&str>) -> Self {
        let mut claims = Map::new();
        if let Some(app_id) = app_id {
            claims.insert("aud".into(), Value::String(app_id.to_owned()));
            claims.insert("azp".into(), Value::String(app_id.to_owned()));
        }
        Self::new(IdentitySource::Bot, claims)
    }

    /// An identity from verified claims: for an in-process channel that authenticates its
    /// callers itself.
    #[must_use]
    pub fn new(source: IdentitySource, claims: Map<String, Value>) -> Self {
        Self { source, claims }
    }

    /// Where the identity came from.
    #[must_use]
    pub fn source(&self) -> IdentitySource {
        self.source
    }

    /// Whether a token was verified (or the bot itself started the turn).
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        self.source != IdentitySource::Anonymous
    }

    /// Every claim of the token.
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// A string claim.
    #[must_use]
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// The bot's app id the token was for: `aud` for channel tokens, `appid` or `azp` for
    /// Emulator tokens.
    #[must_use]
    pub fn app_id(&self) -> Option<&str> {
        match self.source {
            IdentitySource::Emulator => self.claim("appid").or_else(|| self.claim("azp")),
            _ => audience(&self.claims).first().copied(),
        }
    }
}

/// Checks the `Authorization` header of incoming requests; see the [module docs](self).
///
/// Cheap to clone; clones share the key caches. Build one per process (the adapter does).
///
/// ```no_run
/// use botbuilder_connector::auth::incoming::{IncomingAuthSettings, RequestAuthenticator};
/// use botbuilder_connector::config::BotConfig;
/// use botbuilder_connector::schema::Activity;
///
/// # async fn demo(header: Option<&str>, activity: &Activity) -> Result<(), botbuilder_connector::ConnectorError> {
/// let config = BotConfig::from_env()?;
/// let authenticator = RequestAuthenticator::new(IncomingAuthSettings::from_config(&config))?;
/// let identity = authenticator.authenticate(header, activity).await?;
/// println!("from {:?}", identity.source());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RequestAuthenticator {
    inner: Arc<Inner>,
}

struct Inner {
    settings: IncomingAuthSettings,
    clock: Arc<dyn Clock>,
    channel_keys: OpenIdKeys,
    emulator_keys: OpenIdKeys,
    /// Tokens whose signature verified, by token; see [`RequestAuthenticator::verify`].
    verified: Mutex<HashMap<String, Verified>>,
}

/// A token whose signature verified with `key`, and its claims.
struct Verified {
    source: IdentitySource,
    kid: String,
    key: Arc<SigningKey>,
    claims: Map<String, Value>,
}

impl fmt::Debug for RequestAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuthenticator")
            .field("app_id", &self.inner.settings.app_id)
            .field("channel_keys", &self.inner.channel_keys)
            .field("emulator_keys", &self.inner.emulator_keys)
            .finish_non_exhaustive()
    }
}

impl RequestAuthenticator {
    /// An authenticator with the default HTTP client and the system clock.
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] for a metadata URL that is malformed or not https (http is
    /// allowed on loopback hosts).
    pub fn new(settings: IncomingAuthSettings) -> Result<Self, ConnectorError> {
        Self::with_parts(settings, default_http_client()?, Arc::new(SystemClock))
    }

    /// An authenticator fetching keys with `http` and taking time from `clock`.
    ///
    /// # Errors
    /// As [`RequestAuthenticator::new`].
    pub fn with_parts(
        settings: IncomingAuthSettings,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConnectorError> {
        install_crypto_provider();
        let url = |value: &str, key: &'static str| -> Result<Url, ConnectorError> {
            parse_secure(value, key).map_err(|e| ConnectorError::setting(key, e.to_string()))
        };
        let channel_url = url(
            &settings.channel_open_id_metadata_url,
            crate::config::keys::TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL,
        )?;
        let emulator_url = url(
            &settings.emulator_open_id_metadata_url,
            crate::config::keys::TO_BOT_FROM_EMULATOR_OPEN_ID_METADATA_URL,
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                channel_keys: OpenIdKeys::new(channel_url, http.clone(), Arc::clone(&clock)),
                emulator_keys: OpenIdKeys::new(emulator_url, http, Arc::clone(&clock)),
                settings,
                clock,
                verified: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The settings requests are checked against.
    #[must_use]
    pub fn settings(&self) -> &IncomingAuthSettings {
        &self.inner.settings
    }

    /// Whether the bot is anonymous (no app id): only requests without a token are accepted.
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        self.inner.settings.app_id.is_none()
    }

    /// Authenticates a request: its `Authorization` header value (`None` when absent) and the
    /// activity it carries (its `channelId` and `serviceUrl` are checked against the token).
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// [`ConnectorError::Unauthenticated`] saying which check failed (never containing the
    /// token).
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        activity: &Activity,
    ) -> Result<ClaimsIdentity, ConnectorError> {
        let header = authorization.map(str::trim).filter(|h| !h.is_empty());
        let Some(app_id) = self.inner.settings.app_id.as_deref() else {
            return match header {
                None => Ok(ClaimsIdentity::anonymous()),
                Some(_) => Err(ConnectorError::unauthenticated(
                    "the request carries a token but this bot has no app id (MicrosoftAppId) to check it against",
                )),
            };
        };
        let header =
            header.ok_or_else(|| ConnectorError::unauthenticated("no Authorization header"))?;
        let token = bearer_token(header).ok_or_else(|| {
            ConnectorError::unauthenticated("the Authorization header is not `Bearer <token>`")
        })?;
        let channel_id = activity
            .channel_id
            .as_ref()
            .map(|c| c.as_str())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ConnectorError::unauthenticated("the activity has no channelId"))?;
        self.verify(token, app_id, channel_id, activity.service_url.as_deref())
            .await
            .map_err(ConnectorError::unauthenticated)
    }

    /// Checks a token. Its signature is verified once: a token whose signature verified is
    /// remembered with the key that verified it, and a later request with the same token
    /// skips the RSA verification as long as that very key is still the one published
    /// under its id (the keys are refreshed as usual; a rotated or withdrawn key sends the
    /// token through full verification again). Everything that depends on the time or the
    /// request (lifetime, endorsement, audience, service URL) is checked every time.
    async fn verify(
        &self,
        token: &str,
        app_id: &str,
        channel_id: &str,
        service_url: Option<&str>,
    ) -> Result<ClaimsIdentity, String> {
        let remembered = self.verified().get(token).map(|v| {
            (
                v.source,
                v.kid.clone(),
                Arc::clone(&v.key),
                v.claims.clone(),
            )
        });
        let (source, key, claims) = match remembered {
            Some((source, kid, key, claims))
                if self
                    .keys_of(source)
                    .key(&kid)
                    .await
                    .is_ok_and(|current| Arc::ptr_eq(&current, &key)) =>
            {
                (source, key, claims)
            }
            _ => self.verify_signature_of(token).await?,
        };
        self.check_request(source, &key, claims, app_id, channel_id, service_url)
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, HashMap<String, Verified>> {
        // Nothing panics while the lock is held; if something did, the map is still whole.
        self.inner
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn keys_of(&self, source: IdentitySource) -> &OpenIdKeys {
        match source {
            IdentitySource::Emulator => &self.inner.emulator_keys,
            _ => &self.inner.channel_keys,
        }
    }

    /// What a token proves whatever the request: its issuer, and that a published key of
    /// that issuer signed it. Remembers the token when it does.
    async fn verify_signature_of(
        &self,
        token: &str,
    ) -> Result<(IdentitySource, Arc<SigningKey>, Map<String, Value>), String> {
        let settings = &self.inner.settings;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| format!("the token's header is malformed: {e}"))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(format!(
                "the token is signed with {:?}, not RS256, RS384 or RS512",
                header.alg
            ));
        }
        let kid = header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or("the token's header names no key (`kid`)")?;
        let unverified: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|e| format!("the token's claims are malformed: {e}"))?;
        let issuer = unverified
            .get("iss")
            .and_then(Value::as_str)
            .ok_or("the token has no issuer (`iss`)")?;
        let source = if settings.emulator_issuers.iter().any(|i| i == issuer) {
            IdentitySource::Emulator
        } else if issuer == settings.channel_token_issuer {
            IdentitySource::Channel
        } else {
            return Err(format!(
                "the token's issuer `{}` is neither the channel's ({}) nor the Emulator's",
                one_line(issuer, 120),
                settings.channel_token_issuer
            ));
        };
        let key = self.keys_of(source).key(&kid).await?;
        let claims = verify_signature(token, &key)?;
        // The issuer again, from the verified claims.
        if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
            return Err("the token's issuer changed under verification".into());
        }
        let mut verified = self.verified();
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(
            token.to_owned(),
            Verified {
                source,
                kid,
                key: Arc::clone(&key),
                claims: claims.clone(),
            },
        );
        Ok((source, key, claims))
    }

    /// What depends on the time and the request: lifetime, endorsement of the request's
    /// channel, audience (and the request's service URL for channel tokens).
    fn check_request(
        &self,
        source: IdentitySource,
        key: &SigningKey,
        claims: Map<String, Value>,
        app_id: &str,
        channel_id: &str,
        service_url: Option<&str>,
    ) -> Result<ClaimsIdentity, String> {
        check_lifetime(
            &claims,
            self.inner.clock.now(),
            self.inner.settings.clock_skew,
        )?;
        check_endorsement(key, channel_id, source)?;
        match source {
            IdentitySource::Emulator => check_emulator_app_id(&claims, app_id)?,
            _ => check_channel_claims(&claims, app_id, service_url)?,
        }
        Ok(ClaimsIdentity::new(source, claims))
    }
}

/// `Bearer <token>` (the scheme in any case, one token).
fn bearer_token(header: &str) -> Option<&str> {
    let mut parts = header.split_ascii_whitespace();
    let scheme = parts.next()?;
    let token = parts.next()?;
    if parts.next().is_some() || !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(token)
}

fn verify_signature(token: &str, key: &SigningKey) -> Result<Map<String, Value>, String> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.algorithms = ALGORITHMS.to_vec();
    // Lifetime and audience are checked by this module, with the injectable clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
        .map(|data| data.claims)
        .map_err(|e| format!("the token's signature does not verify: {e}"))
}

fn unix_seconds(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn numeric_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, String> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("the token's `{name}` claim is not a number")),
    }
}

fn check_lifetime(
    claims: &Map<String, Value>,
    now: SystemTime,
    skew: Duration,
) -> Result<(), String> {
    let now = unix_seconds(now);
    let skew = skew.as_secs_f64();
    let exp = numeric_claim(claims, "exp")?.ok_or("the token has no expiry (`exp`)")?;
    if now > exp + skew {
        return Err(format!(
            "the token expired {:.0} s ago (more than the allowed clock skew)",
            now - exp
        ));
    }
    if let Some(nbf) = numeric_claim(claims, "nbf")?
        && now + skew < nbf
    {
        return Err(format!(
            "the token is not valid for another {:.0} s (more than the allowed clock skew)",
            nbf - now
        ));
    }
    Ok(())
}

fn check_endorsement(
    key: &SigningKey,
    channel_id: &str,
    source: IdentitySource,
) -> Result<(), String> {
    // The Bot Framework's channel keys always list the channels they sign for; Entra ID's
    // keys (the Emulator's) list none, and are then accepted, as BotBuilder does.
    let required = source == IdentitySource::Channel || !key.endorsements.is_empty();
    if required && !key.endorsements.iter().any(|e| e == channel_id) {
        return Err(format!(
            "the signing key is not endorsed for channel `{}`",
            one_line(channel_id, 60)
        ));
    }
    Ok(())
}

fn audience(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn check_channel_claims(
    claims: &Map<String, Value>,
    app_id: &str,
    service_url: Option<&str>,
) -> Result<(), String> {
    let audience = audience(claims);
    if audience.is_empty() {
        return Err("the token has no audience (`aud`)".into());
    }
    if !audience.contains(&app_id) {
        return Err(format!(
            "the token is for `{}`, not this bot's app id",
            one_line(&audience.join(","), 120)
        ));
    }
    let claimed = claims
        .get("serviceurl")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or("the token has no `serviceurl` claim")?;
    let actual = service_url.unwrap_or("");
    if !claimed.eq_ignore_ascii_case(actual) {
        return Err(format!(
            "the activity's serviceUrl `{}` is not the token's `{}`",
            one_line(actual, 200),
            one_line(claimed, 200)
        ));
    }
    Ok(())
}

fn check_emulator_app_id(claims: &Map<String, Value>, app_id: &str) -> Result<(), String> {
    let version = claims
        .get("ver")
        .ok_or("an Emulator token needs a version (`ver`) claim")?;
    let version = version.as_str().unwrap_or("");
    let claim = match version.trim() {
        "" | "1.0" => "appid",
        "2.0" => "azp",
        other => {
            return Err(format!(
                "unknown Emulator token version `{}`",
                one_line(other, 20)
            ));
        }
    };
    let claimed = claims
        .get(claim)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("an Emulator token of version `{version}` needs `{claim}`"))?;
    if claimed != app_id {
        return Err(format!(
            "the Emulator token is for app `{}`, not this bot's",
            one_line(claimed, 80)
        ));
    }
    Ok(())
}

/// jsonwebtoken takes its crypto from a process-wide provider. With exactly one backend
/// feature enabled in the build it picks that one; with both (another crate of the
/// application enabling `aws_lc_rs`) it would panic on first use, so the pure-Rust provider
/// is installed unless the application installed one first.
fn install_crypto_provider() {
    let _already_installed = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn bearer_header_forms() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer a b"), None);
    }

    #[test]
    fn lifetime_allows_five_minutes_of_skew() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |exp: i64, nbf: Option<i64>| {
            let mut c = json!({"exp": 1_000_000 + exp});
            if let Some(nbf) = nbf {
                c["nbf"] = json!(1_000_000 + nbf);
            }
            check_lifetime(&map(c), now, CLOCK_SKEW)
        };
        assert!(at(60, Some(-60)).is_ok());
        assert!(at(-299, None).is_ok());
        assert!(at(-301, None).is_err());
        assert!(at(600, Some(299)).is_ok());
        assert!(at(600, Some(301)).is_err());
        assert!(check_lifetime(&map(json!({})), now, CLOCK_SKEW).is_err());
        assert!(check_lifetime(&map(json!({"exp": "2000000"})), now, CLOCK_SKEW).is_err());
        assert!(
            check_lifetime(
                &map(json!({"exp": 2_000_000, "nbf": "9999999999"})),
                now,
                CLOCK_SKEW
            )
            .is_err(),
            "a string nbf must not be ignored"
        );
    }

    #[test]
    fn emulator_versions() {
        let ok = |c: Value| check_emulator_app_id(&map(c), "app");
        assert!(ok(json!({"ver": "1.0", "appid": "app"})).is_ok());
        assert!(ok(json!({"ver": "", "appid": "app"})).is_ok());
        assert!(ok(json!({"ver": "2.0", "azp": "app"})).is_ok());
        assert!(ok(json!({"ver": "2.0", "appid": "app"})).is_err());
        assert!(ok(json!({"ver": "1.0", "appid": "other"})).is_err());
        assert!(ok(json!({"ver": "3.0", "azp": "app"})).is_err());
        assert!(ok(json!({"appid": "app"})).is_err());
    }

    #[test]
    fn channel_claims() {
        let ok = |c: Value, url: &str| check_channel_claims(&map(c), "app", Some(url));
        let u = "https://smba.trafficmanager.net/amer/";
        assert!(ok(json!({"aud": "app", "serviceurl": u}), u).is_ok());
        assert!(ok(json!({"aud": ["x", "app"], "serviceurl": u}), u).is_ok());
        assert!(
            ok(
                json!({"aud": "app", "serviceurl": "HTTPS://SMBA.trafficmanager.net/amer/"}),
                u
            )
            .is_ok()
        );
        assert!(ok(json!({"aud": "other", "serviceurl": u}), u).is_err());
        assert!(ok(json!({"serviceurl": u}), u).is_err());
        assert!(ok(json!({"aud": "app"}), u).is_err());
        assert!(
            ok(
                json!({"aud": "app", "serviceurl": u}),
                "https://evil.example/"
            )
            .is_err()
        );
    }
}
