//! [`ConnectorClientFactory`]: connector clients cached per service URL, sharing everything.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{ConnectorClient, Shared, UserTokenClient, default_http_client, parse_service_url};
use crate::ConnectorError;
use crate::auth::AppCredentials;
use crate::clock::{Clock, SystemClock};
use crate::retry::RetryPolicy;
use crate::throttle::ConversationThrottle;
use crate::trust::TrustedHosts;

/// Cache entries (service URL spellings, in all scopes) kept before the cache is emptied
/// (bounds memory when service URLs vary).
const MAX_CACHED: usize = 256;

/// Makes [`ConnectorClient`]s, one per service URL and scope, cached; all share one HTTP
/// client (connection pool), one set of credentials with its token cache, one
/// [`TrustedHosts`], one retry policy, one clock and one conversation throttle.
///
/// Cheap to clone (an `Arc`). This is what the adapter holds.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use botbuilder_connector::{ConnectorClientFactory, RetryPolicy};
/// use botbuilder_connector::auth::{MicrosoftAppCredentials, OutgoingAuthSettings};
///
/// let credentials = MicrosoftAppCredentials::new("app-id", "app-password", OutgoingAuthSettings::default())?;
/// let factory = ConnectorClientFactory::builder(Arc::new(credentials))
///     .retry_policy(RetryPolicy { max_retries: 5, ..RetryPolicy::default() })
///     .conversation_throttle(Duration::from_secs(1))
///     .build()?;
/// factory.trusted_hosts().allow("*.bots.contoso.com")?;
///
/// let client = factory.client_for("https://smba.trafficmanager.net/amer/")?;
/// let again = factory.client_for("https://smba.trafficmanager.net/amer")?;
/// assert_eq!(client.service_url(), again.service_url());
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
#[derive(Clone)]
pub struct ConnectorClientFactory {
    inner: Arc<FactoryInner>,
}

struct FactoryInner {
    shared: Arc<Shared>,
    cache: Mutex<ClientCache>,
}

/// Clients by scope, then by service URL. A client is filed under its normalised service
/// URL and under each spelling it was asked for, so that the usual lookup (the service URL
/// of an activity, spelled as the channel spells it) is one hash lookup, with no URL parsing
/// and no allocation.
#[derive(Default)]
struct ClientCache {
    by_scope: HashMap<String, HashMap<String, ConnectorClient>>,
    /// Entries in all scopes.
    len: usize,
}

impl ClientCache {
    fn get(&self, scope: &str, service_url: &str) -> Option<&ConnectorClient> {
        self.by_scope.get(scope)?.get(service_url)
    }

    fn insert(&mut self, scope: &str, service_url: String, client: ConnectorClient) {
        if self.len >= MAX_CACHED {
            self.by_scope.clear();
            self.len = 0;
        }
        let clients = match self.by_scope.get_mut(scope) {
            Some(clients) => clients,
            None => self.by_scope.entry(scope.to_owned()).or_default(),
        };
        if clients.insert(service_url, client).is_none() {
            self.len += 1;
        }
    }
}

impl fmt::Debug for ConnectorClientFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorClientFactory")
            .field("credentials", &self.inner.shared.credentials)
            .field("retry", &self.inner.shared.retry)
            .field("throttle", &self.inner.shared.throttle)
            .finish_non_exhaustive()
    }
}

impl ConnectorClientFactory {
    /// A factory with the defaults: the shared default HTTP client, the default trusted hosts,
    /// the default retry policy, the system clock, no throttle.
    ///
    /// # Errors
    /// [`ConnectorError::Transport`] if no HTTP client can be built.
    pub fn new(credentials: Arc<dyn AppCredentials>) -> Result<Self, ConnectorError> {
        Self::builder(credentials).build()
    }

    /// A builder to set what the defaults do not fit.
    pub fn builder(credentials: Arc<dyn AppCredentials>) -> ConnectorClientFactoryBuilder {
        ConnectorClientFactoryBuilder {
            credentials,
            http: None,
            trusted: None,
            retry: RetryPolicy::default(),
            clock: None,
            throttle: None,
            anonymous_trusted_only: false,
        }
    }

    /// The client for a service URL, sending tokens for the credentials' default scope
    /// (`ToChannelFromBotOAuthScope`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for a service URL that is not an http(s) URL.
    pub fn client_for(&self, service_url: &str) -> Result<ConnectorClient, ConnectorError> {
        self.client_for_scope(service_url, self.inner.shared.credentials.oauth_scope())
    }

    /// The client for a service URL, sending tokens for another scope (a skill's app id, for
    /// calls from a bot to a skill).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for a service URL that is not an http(s) URL.
    pub fn client_for_scope(
        &self,
        service_url: &str,
        oauth_scope: &str,
    ) -> Result<ConnectorClient, ConnectorError> {
        let mut cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = cache.get(oauth_scope, service_url) {
            return Ok(client.clone());
        }
        // First time this spelling is asked for: validate and normalise it, and share the
        // client of its normalised URL if there is one.
        let base = parse_service_url(service_url)?;
        let client = match cache.get(oauth_scope, base.as_str()) {
            Some(client) => client.clone(),
            None => {
                let normalised = base.as_str().to_owned();
                let client = ConnectorClient::from_parts(
                    base,
                    oauth_scope.to_owned(),
                    Arc::clone(&self.inner.shared),
                );
                cache.insert(oauth_scope, normalised, client.clone());
                client
            }
        };
        cache.insert(oauth_scope, service_url.to_owned(), client.clone());
        Ok(client)
    }

    /// A client of the Bot Framework token service at `oauth_url` (the cloud's
    /// [`oauth_url`](crate::auth::Cloud::oauth_url) or the `OAuthUrl` setting), sending app
    /// tokens for the credentials' default scope, as BotBuilder does. The host must be
    /// trusted ([`trusted_hosts`](Self::trusted_hosts)); the default hosts include the public
    /// and US Government token services.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for a URL that is not an http(s) URL.
    pub fn user_token_client(&self, oauth_url: &str) -> Result<UserTokenClient, ConnectorError> {
        self.client_for(oauth_url).map(UserTokenClient::from_client)
    }

    /// Whether a client for this service URL, spelled exactly so, is cached for the
    /// default scope (the spelling was validated when the client was made).
    pub(crate) fn is_known_service_url(&self, service_url: &str) -> bool {
        let scope = self.inner.shared.credentials.oauth_scope();
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(scope, service_url)
            .is_some()
    }

    /// The credentials every client sends.
    #[must_use]
    pub fn credentials(&self) -> &Arc<dyn AppCredentials> {
        &self.inner.shared.credentials
    }

    /// The hosts the app token may go to; trust or allow hosts here and every client sees it.
    #[must_use]
    pub fn trusted_hosts(&self) -> &TrustedHosts {
        &self.inner.shared.trusted
    }

    /// The HTTP client every connector client uses.
    #[must_use]
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.shared.http
    }

    /// The clock of retries and the throttle.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.shared.clock
    }
}

/// Builds a [`ConnectorClientFactory`]; see [`ConnectorClientFactory::builder`].
#[must_use]
pub struct ConnectorClientFactoryBuilder {
    credentials: Arc<dyn AppCredentials>,
    http: Option<reqwest::Client>,
    trusted: Option<TrustedHosts>,
    retry: RetryPolicy,
    clock: Option<Arc<dyn Clock>>,
    throttle: Option<ConversationThrottle>,
    anonymous_trusted_only: bool,
}

impl fmt::Debug for ConnectorClientFactoryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorClientFactoryBuilder")
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

impl ConnectorClientFactoryBuilder {
    /// Uses this HTTP client (pass the credentials the same one to share one pool).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Uses this trusted host set (share it with the adapter, which trusts the service URLs
    /// of authenticated activities).
    pub fn trusted_hosts(mut self, trusted: TrustedHosts) -> Self {
        self.trusted = Some(trusted);
        self
    }

    /// Uses this retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Uses this clock for retry waits and the throttle.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Spaces out sends into one conversation by at least `min_interval`, keeping their order.
    pub fn conversation_throttle(mut self, min_interval: Duration) -> Self {
        self.throttle = Some(ConversationThrottle::new(min_interval));
        self
    }

    /// Sends requests without a token (anonymous credentials) only to loopback and trusted
    /// hosts, as requests with one always are; any other host fails with
    /// [`ConnectorError::AnonymousUntrustedServiceUrl`]. The adapter turns it on for an
    /// anonymous bot that listens beyond loopback (`AllowAnonymousBeyondLoopback`).
    pub fn anonymous_trusted_hosts_only(mut self, only: bool) -> Self {
        self.anonymous_trusted_only = only;
        self
    }

    /// Builds the factory.
    ///
    /// # Errors
    /// [`ConnectorError::Transport`] if no HTTP client was given and none can be built.
    pub fn build(self) -> Result<ConnectorClientFactory, ConnectorError> {
        let http = match self.http {
            Some(http) => http,
            None => default_http_client()?,
        };
        let shared = Shared {
            http,
            credentials: self.credentials,
            trusted: self.trusted.unwrap_or_default(),
            retry: self.retry,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            throttle: self.throttle,
            anonymous_trusted_only: self.anonymous_trusted_only,
        };
        Ok(ConnectorClientFactory {
            inner: Arc::new(FactoryInner {
                shared: Arc::new(shared),
                cache: Mutex::new(ClientCache::default()),
            }),
        })
    }
}
