//! What the credential types that ask Microsoft Entra ID for app tokens share (password,
//! certificate, federated and workload identity): the authority's settings and token endpoint,
//! the HTTP client, clock and retry policy, the token cache, and the requests themselves.

use std::future::Future;
use std::sync::Arc;

use reqwest::Url;

use crate::auth::cache::{TokenCache, post_assertion_form, post_token_form};
use crate::auth::on_behalf_of::post_on_behalf_of;
use crate::auth::{AccessToken, OnBehalfOfRequest, OutgoingAuthSettings};
use crate::clock::{Clock, SystemClock};
use crate::retry::RetryPolicy;
use crate::transport::Transport;
use crate::{ConnectorError, default_http_client};

/// An Entra ID token endpoint and how to call it; one per credential.
pub(crate) struct EntraClient {
    pub(crate) settings: OutgoingAuthSettings,
    pub(crate) token_endpoint: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    cache: TokenCache,
}

impl EntraClient {
    /// The client of the authority `settings` name, with the default HTTP client, the system
    /// clock and the default retry policy.
    pub(crate) fn new(settings: OutgoingAuthSettings) -> Result<Self, ConnectorError> {
        Ok(Self {
            token_endpoint: settings.token_endpoint()?,
            settings,
            http: default_http_client()?,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            cache: TokenCache::default(),
        })
    }

    fn transport(&self) -> Transport<'_> {
        Transport {
            retry: &self.retry,
            clock: self.clock.as_ref(),
        }
    }

    /// The cached app token for `scope`, fetched with `fetch` (given the normalised scope)
    /// when there is none or it is about to expire.
    pub(crate) async fn app_token<F, Fut>(
        &self,
        scope: &str,
        fetch: F,
    ) -> Result<Option<AccessToken>, ConnectorError>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<AccessToken, ConnectorError>>,
    {
        self.cache
            .app_token(scope, self.clock.as_ref(), fetch)
            .await
    }

    /// Forgets the cached token for `scope` if it is `rejected`.
    pub(crate) async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        self.cache.invalidate_app_token(scope, rejected).await;
    }

    /// A client-credentials request with `form`; `secret` is redacted from refusals.
    pub(crate) async fn post_form(
        &self,
        form: &[(&str, &str)],
        secret: &str,
    ) -> Result<AccessToken, ConnectorError> {
        post_token_form(
            &self.http,
            &self.transport(),
            &self.token_endpoint,
            form,
            secret,
            self.clock.as_ref(),
        )
        .await
    }

    /// A client-credentials request authenticated by a JWT client `assertion`.
    pub(crate) async fn post_assertion(
        &self,
        client_id: &str,
        assertion: &str,
        scope: &str,
    ) -> Result<AccessToken, ConnectorError> {
        post_assertion_form(
            &self.http,
            &self.transport(),
            &self.token_endpoint,
            client_id,
            assertion,
            scope,
            self.clock.as_ref(),
        )
        .await
    }

    /// An on-behalf-of request to `endpoint` (the user's tenant's), authenticated by
    /// `client_auth`.
    pub(crate) async fn on_behalf_of(
        &self,
        endpoint: &Url,
        client_id: &str,
        client_auth: &[(&str, &str)],
        request: &OnBehalfOfRequest,
    ) -> Result<AccessToken, ConnectorError> {
        post_on_behalf_of(
            &self.http,
            &self.transport(),
            endpoint,
            client_id,
            client_auth,
            request,
            self.clock.as_ref(),
        )
        .await
    }
}

/// The builder methods and accessors every Entra ID credential type has, on its `entra`
/// field.
macro_rules! entra_credential_methods {
    () => {
        /// Uses this HTTP client (to share one connection pool with the connector clients).
        #[must_use]
        pub fn with_http_client(mut self, http: ::reqwest::Client) -> Self {
            self.entra.http = http;
            self
        }

        /// Uses this clock for token expiry, assertion times and retry waits.
        #[must_use]
        pub fn with_clock(mut self, clock: ::std::sync::Arc<dyn $crate::clock::Clock>) -> Self {
            self.entra.clock = clock;
            self
        }

        /// Uses this retry policy for token requests.
        #[must_use]
        pub fn with_retry_policy(mut self, retry: $crate::retry::RetryPolicy) -> Self {
            self.entra.retry = retry;
            self
        }

        /// The token endpoint app tokens are asked from (also the `aud` of client
        /// assertions).
        #[must_use]
        pub fn token_endpoint(&self) -> &::reqwest::Url {
            &self.entra.token_endpoint
        }

        /// The settings these credentials were made with.
        #[must_use]
        pub fn settings(&self) -> &$crate::auth::OutgoingAuthSettings {
            &self.entra.settings
        }
    };
}

pub(crate) use entra_credential_methods;
