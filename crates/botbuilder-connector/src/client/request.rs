//! [`ConnectorRequest`]: a REST call this client does not wrap, sent with the client's
//! machinery (app token, trusted hosts, retries, a fresh token after a 401).

use std::fmt;

use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Call, ConnectorClient, to_body};
use crate::ConnectorError;
use crate::retry::Replay;

/// A call to an API of the channel's service that [`ConnectorClient`] does not wrap, such as
/// the Teams extensions (`v3/teams/{teamId}`, `v1/meetings/{meetingId}`,
/// `v3/batch/conversation/...`), for crates that add a channel's own operations on top of the
/// client (`botbuilder-teams` does).
///
/// The path is given as segments under the service URL, each percent-encoded like every id the
/// client sends (`19:abc@thread.skype` becomes `19%3Aabc%40thread.skype`); an empty last
/// segment makes a trailing `/`. Reads, `PUT`s and `DELETE`s are retried on every transient
/// failure; `POST`s only when the failure proves the service did not accept them (a 429, a
/// 503 with `Retry-After`, a refused connection), so a retry never duplicates a message.
///
/// ```no_run
/// use botbuilder_connector::{ConnectorClient, ConnectorRequest};
/// use serde_json::Value;
///
/// # async fn demo(client: ConnectorClient) -> Result<(), botbuilder_connector::ConnectorError> {
/// let answer = client
///     .request(ConnectorRequest::get(&["v3", "teams", "19:team@thread.skype"]))
///     .await?;
/// let details: Value = answer.json("GET v3/teams/{teamId}")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConnectorRequest<'a> {
    method: Method,
    segments: &'a [&'a str],
    query: Vec<(&'a str, &'a str)>,
    body: Option<Bytes>,
}

impl fmt::Debug for ConnectorRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold user content; its size is enough to debug with.
        f.debug_struct("ConnectorRequest")
            .field("method", &self.method)
            .field("segments", &self.segments)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

impl<'a> ConnectorRequest<'a> {
    fn new(method: Method, segments: &'a [&'a str], body: Option<Bytes>) -> Self {
        Self {
            method,
            segments,
            query: Vec::new(),
            body,
        }
    }

    /// `GET {service URL}/{segments}`.
    #[must_use]
    pub fn get(segments: &'a [&'a str]) -> Self {
        Self::new(Method::GET, segments, None)
    }

    /// `DELETE {service URL}/{segments}`.
    #[must_use]
    pub fn delete(segments: &'a [&'a str]) -> Self {
        Self::new(Method::DELETE, segments, None)
    }

    /// `POST {service URL}/{segments}` with a JSON body.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] if the body cannot be written as JSON.
    pub fn post_json<T: Serialize + ?Sized>(
        segments: &'a [&'a str],
        body: &T,
    ) -> Result<Self, ConnectorError> {
        Ok(Self::new(
            Method::POST,
            segments,
            Some(to_body(body, "the request body")?),
        ))
    }

    /// `PUT {service URL}/{segments}` with a JSON body.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] if the body cannot be written as JSON.
    pub fn put_json<T: Serialize + ?Sized>(
        segments: &'a [&'a str],
        body: &T,
    ) -> Result<Self, ConnectorError> {
        Ok(Self::new(
            Method::PUT,
            segments,
            Some(to_body(body, "the request body")?),
        ))
    }

    /// Adds a query parameter (percent-encoded when sent).
    #[must_use]
    pub fn query(mut self, name: &'a str, value: &'a str) -> Self {
        self.query.push((name, value));
        self
    }
}

/// The successful answer to a [`ConnectorRequest`].
#[derive(Clone)]
pub struct ConnectorResponse {
    /// The HTTP status (a 2xx: anything else is a [`ConnectorError`]).
    pub status: StatusCode,
    /// The body, as sent.
    pub body: Bytes,
}

impl fmt::Debug for ConnectorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl ConnectorResponse {
    /// The body read as JSON; `what` names the request in the error.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidResponse`] if the body is not a `T`.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| ConnectorError::InvalidResponse {
            context: what.to_owned(),
            source: Box::new(e),
        })
    }

    /// Whether the body is empty (or only whitespace), as some answers are (a 202, a 204).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }
}

impl ConnectorClient {
    /// Sends a call this client does not wrap (see [`ConnectorRequest`]) and returns its
    /// successful answer.
    ///
    /// # Errors
    /// Any [`ConnectorError`]; the service's error answers are typed by status, as for every
    /// other operation.
    pub async fn request(
        &self,
        request: ConnectorRequest<'_>,
    ) -> Result<ConnectorResponse, ConnectorError> {
        let replay = if request.method == Method::POST {
            Replay::OnlyIfNotAccepted
        } else {
            Replay::Idempotent
        };
        let call = Call {
            method: request.method,
            segments: request.segments,
            query: &request.query,
            body: request.body,
            replay,
            throttle: None,
        };
        let answer = self.call(call).await?;
        Ok(ConnectorResponse {
            status: answer.status,
            body: answer.body,
        })
    }
}
