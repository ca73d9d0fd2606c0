//! Building blocks for storage-backend authors: what a [`Storage`](super::Storage)
//! implementation needs beyond the trait, kept apart from what a bot uses.
//!
//! - a write: [`prepare_write`] splits a document into the object to store and the
//!   [`WriteCondition`] its `"eTag"` sets; [`random_e_tag`] makes the new eTag;
//! - a read: [`parse_stored_body`] reads back stored JSON text, [`document_with_e_tag`] builds
//!   the document `read` returns;
//! - a store URL: [`split_url_options`] takes the backend's own options out of a URL's query
//!   string, and [`redact_url`] hides its password in errors and logs.
//!
//! A backend then runs the conformance suite, `botbuilder_core::testing::storage_conformance`
//! (feature `test-util`), in its tests.
//!
//! ```
//! use botbuilder_core::storage::backend::{document_with_e_tag, prepare_write, WriteCondition};
//! use serde_json::json;
//!
//! // What a backend's `write` does with each document, and its `read` gives back.
//! let (body, condition) = prepare_write("k", json!({"a": 1, "eTag": "*"}))?;
//! assert_eq!(condition, WriteCondition::Any);
//! assert_eq!(document_with_e_tag(body, "e1"), json!({"a": 1, "eTag": "e1"}));
//! # Ok::<(), botbuilder_core::Error>(())
//! ```

use serde_json::{Map, Value};

use super::{ETAG_ANY, ETAG_FIELD, ETAG_NEW};
use crate::Error;

/// What a write expects to find under its key, as the document's `"eTag"` says. Backends
/// use it with [`prepare_write`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteCondition {
    /// Write whatever is stored (no eTag, or `*`).
    Any,
    /// Write only if nothing is stored (eTag `""`).
    Absent,
    /// Write only if the stored document has this eTag.
    Matches(String),
}

impl WriteCondition {
    /// Whether a write under this condition may replace what is stored, given the stored
    /// document's eTag (`None` when nothing is stored).
    ///
    /// ```
    /// use botbuilder_core::storage::backend::WriteCondition;
    ///
    /// assert!(WriteCondition::Any.allows(Some("7")));
    /// assert!(WriteCondition::Absent.allows(None));
    /// assert!(!WriteCondition::Absent.allows(Some("7")));
    /// assert!(WriteCondition::Matches("7".into()).allows(Some("7")));
    /// assert!(!WriteCondition::Matches("7".into()).allows(None));
    /// ```
    #[must_use]
    pub fn allows(&self, stored_e_tag: Option<&str>) -> bool {
        match self {
            WriteCondition::Any => true,
            WriteCondition::Absent => stored_e_tag.is_none(),
            WriteCondition::Matches(expected) => stored_e_tag == Some(expected.as_str()),
        }
    }
}

/// Splits a document to write into the object to store (without its `"eTag"` field) and the
/// condition that field sets.
///
/// ```
/// use botbuilder_core::storage::backend::{prepare_write, WriteCondition};
/// use serde_json::json;
///
/// let (body, condition) = prepare_write("k", json!({"a": 1, "eTag": "5"}))?;
/// assert_eq!(body, *json!({"a": 1}).as_object().unwrap());
/// assert_eq!(condition, WriteCondition::Matches("5".into()));
/// assert!(prepare_write("k", json!([1, 2])).is_err());
/// # Ok::<(), botbuilder_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidDocument`] when the document is not a JSON object or its `"eTag"` is
/// neither a string nor `null`.
pub fn prepare_write(
    key: &str,
    document: Value,
) -> Result<(Map<String, Value>, WriteCondition), Error> {
    let Value::Object(mut body) = document else {
        return Err(Error::InvalidDocument {
            key: key.to_owned(),
            reason: format!("a document must be a JSON object, not {}", kind(&document)),
        });
    };
    let condition = match body.remove(ETAG_FIELD) {
        None | Some(Value::Null) => WriteCondition::Any,
        Some(Value::String(e_tag)) if e_tag == ETAG_ANY => WriteCondition::Any,
        Some(Value::String(e_tag)) if e_tag == ETAG_NEW => WriteCondition::Absent,
        Some(Value::String(e_tag)) => WriteCondition::Matches(e_tag),
        Some(other) => {
            return Err(Error::InvalidDocument {
                key: key.to_owned(),
                reason: format!("its eTag must be a string, not {}", kind(&other)),
            });
        }
    };
    Ok((body, condition))
}

/// The document a read returns: the stored object with its eTag in the `"eTag"` field.
#[must_use]
pub fn document_with_e_tag(mut body: Map<String, Value>, e_tag: impl Into<String>) -> Value {
    body.insert(ETAG_FIELD.to_owned(), Value::String(e_tag.into()));
    Value::Object(body)
}

/// Reads back the object a backend stored as JSON text (without its eTag, which the
/// backend keeps beside it). The counterpart of [`prepare_write`].
///
/// ```
/// use botbuilder_core::storage::backend::parse_stored_body;
///
/// assert_eq!(parse_stored_body("k", r#"{"a":1}"#)?["a"], 1);
/// assert!(parse_stored_body("k", "[1]").is_err());
/// assert!(parse_stored_body("k", "{").is_err());
/// # Ok::<(), botbuilder_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidDocument`] naming the key when the text is not valid JSON or not a JSON
/// object (the store was written by something else, or damaged).
pub fn parse_stored_body(key: &str, text: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_str(text) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(other) => Err(Error::InvalidDocument {
            key: key.to_owned(),
            reason: format!("the stored document is {}, not a JSON object", kind(&other)),
        }),
        Err(e) => Err(Error::InvalidDocument {
            key: key.to_owned(),
            reason: format!("the stored document is not valid JSON: {e}"),
        }),
    }
}

/// A new random eTag: 128 random bits in hex, so that no two writes, from any process or
/// instance, share one. For backends shared between processes (a counter would repeat).
///
/// ```
/// use botbuilder_core::storage::backend::random_e_tag;
///
/// let (a, b) = (random_e_tag(), random_e_tag());
/// assert_eq!(a.len(), 32);
/// assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
/// assert_ne!(a, b);
/// ```
#[must_use]
pub fn random_e_tag() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// Takes the options named in `ours` out of a URL's query string: returns the URL with every
/// other parameter kept exactly as written (for the database driver), and our options,
/// percent-decoded (`+` is a space), in the order written.
///
/// ```
/// use botbuilder_core::storage::backend::split_url_options;
///
/// let (driver_url, options) =
///     split_url_options("redis://h/0?prefix=bot%3A&protocol=resp3&ttl=60", &["prefix", "ttl"]);
/// assert_eq!(driver_url, "redis://h/0?protocol=resp3");
/// assert_eq!(options, [("prefix".to_owned(), "bot:".to_owned()), ("ttl".to_owned(), "60".to_owned())]);
/// ```
#[must_use]
pub fn split_url_options(url: &str, ours: &[&str]) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut options = Vec::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
        let name = percent_decode(name);
        if ours.contains(&name.as_str()) {
            options.push((name, percent_decode(value)));
        } else {
            kept.push(segment);
        }
    }
    let driver_url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (driver_url, options)
}

/// Decodes a query-string component: `+` is a space, `%XX` a byte; an invalid escape is
/// kept as written, and bytes that are not UTF-8 are replaced.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with its password (in the user info or a `password` query parameter) replaced by
/// `***`, for errors, logs and start banners.
///
/// Everything before the last `@` ahead of the query counts as user info, so a password
/// holding `@` or `/` is hidden whole (at worst, more than the password is hidden).
///
/// ```
/// use botbuilder_core::storage::backend::redact_url;
///
/// assert_eq!(redact_url("postgres://bot:s3cret@db/bot"), "postgres://bot:***@db/bot");
/// assert_eq!(redact_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
/// assert_eq!(redact_url("sqlite:bot.db"), "sqlite:bot.db");
/// ```
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let before = match before.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => before.to_owned(),
        },
        None => before.to_owned(),
    };
    match query {
        None => format!("{scheme}://{before}"),
        Some(query) => {
            let query: Vec<String> = query
                .split('&')
                .map(|segment| match segment.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=***")
                    }
                    _ => segment.to_owned(),
                })
                .collect();
            format!("{scheme}://{before}?{}", query.join("&"))
        }
    }
}

/// Why a store server's TLS certificate was refused: the part of a
/// [`TlsCertificateError`] a caller matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// The certificate is not signed by a trusted certificate authority: give the server's
    /// CA (the backend's `ca_cert` / `sslrootcert` option), or the CA is wrong.
    UnknownIssuer,
    /// The certificate does not name the host connected to: connect by a name the
    /// certificate lists.
    WrongHostName,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// Any other reason (revoked, bad signature, unsupported algorithm...): see the source.
    Other,
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CertificateProblem::UnknownIssuer => {
                "it is not signed by a trusted certificate authority"
            }
            CertificateProblem::WrongHostName => "it is not valid for the host name connected to",
            CertificateProblem::Expired => "it has expired or is not valid yet",
            CertificateProblem::Other => "it could not be verified",
        })
    }
}

/// A store server's TLS certificate was refused: the source of the [`Error::Storage`] a
/// backend's `connect` returns then (find it with [`TlsCertificateError::find`]).
///
/// ```
/// use botbuilder_core::Error;
/// use botbuilder_core::storage::backend::{CertificateProblem, TlsCertificateError};
///
/// let refused = TlsCertificateError::new(CertificateProblem::WrongHostName, "name mismatch");
/// let error = Error::storage("connecting to redis", refused);
/// let found = TlsCertificateError::find(&error).map(TlsCertificateError::problem);
/// assert_eq!(found, Some(CertificateProblem::WrongHostName));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("the server's TLS certificate was refused: {problem}")]
pub struct TlsCertificateError {
    problem: CertificateProblem,
    #[source]
    source: crate::BoxError,
}

impl TlsCertificateError {
    /// The refusal of a certificate for `problem`, with the TLS library's error.
    pub fn new(problem: CertificateProblem, source: impl Into<crate::BoxError>) -> Self {
        Self {
            problem,
            source: source.into(),
        }
    }

    /// Why the certificate was refused.
    #[must_use]
    pub fn problem(&self) -> CertificateProblem {
        self.problem
    }

    /// The `TlsCertificateError` in an error's chain of sources (the error itself
    /// included), if there is one.
    #[must_use]
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Self> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<Self>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prepare_write_reads_the_condition_from_the_etag() {
        let cases = [
            (json!({"a": 1}), WriteCondition::Any),
            (json!({"a": 1, "eTag": null}), WriteCondition::Any),
            (json!({"a": 1, "eTag": "*"}), WriteCondition::Any),
            (json!({"a": 1, "eTag": ""}), WriteCondition::Absent),
            (
                json!({"a": 1, "eTag": "12"}),
                WriteCondition::Matches("12".into()),
            ),
        ];
        for (doc, expected) in cases {
            let (body, condition) = prepare_write("k", doc).unwrap();
            assert_eq!(condition, expected);
            assert_eq!(Value::Object(body), json!({"a": 1}));
        }
    }

    #[test]
    fn prepare_write_rejects_non_objects_and_bad_etags() {
        for doc in [json!(null), json!(1), json!("s"), json!([1]), json!(true)] {
            let e = prepare_write("the key", doc).unwrap_err();
            assert!(matches!(&e, Error::InvalidDocument { key, .. } if key == "the key"));
        }
        let e = prepare_write("k", json!({"eTag": 5})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid storage document \"k\": its eTag must be a string, not a number"
        );
    }

    #[test]
    fn document_with_e_tag_adds_the_field() {
        let body = json!({"x": 1}).as_object().unwrap().clone();
        assert_eq!(document_with_e_tag(body, "9"), json!({"x": 1, "eTag": "9"}));
    }

    #[test]
    fn passwords_are_redacted() {
        let cases = [
            (
                "postgres://bot:s3cr3t@127.0.0.1:5432/bot?table=t",
                "postgres://bot:***@127.0.0.1:5432/bot?table=t",
            ),
            ("redis://:s3cr3t@127.0.0.1/0", "redis://:***@127.0.0.1/0"),
            ("redis://user:p%40ss:word@host/0", "redis://user:***@host/0"),
            ("redis://127.0.0.1/0", "redis://127.0.0.1/0"),
            ("redis://user@127.0.0.1/0", "redis://user@127.0.0.1/0"),
            (
                "postgres://h/db?user=bot&password=s3cr3t&x=1",
                "postgres://h/db?user=bot&password=***&x=1",
            ),
            ("sqlite:bot.db", "sqlite:bot.db"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected);
        }
    }

    #[test]
    fn url_options_are_split_out_and_decoded() {
        let (driver, options) = split_url_options("postgres://h/db", &["table"]);
        assert_eq!((driver.as_str(), options.len()), ("postgres://h/db", 0));
        let (driver, options) = split_url_options(
            "postgres://h/db?table=a%2Eb&connect_timeout=5&&x=%zz+1&max_connections=4",
            &["table", "max_connections"],
        );
        assert_eq!(driver, "postgres://h/db?connect_timeout=5&x=%zz+1");
        assert_eq!(
            options,
            [
                ("table".to_owned(), "a.b".to_owned()),
                ("max_connections".to_owned(), "4".to_owned())
            ]
        );
        let (driver, options) = split_url_options("redis://h/0?prefix=a+b%3A%", &["prefix"]);
        assert_eq!(driver, "redis://h/0");
        assert_eq!(options, [("prefix".to_owned(), "a b:%".to_owned())]);
        assert_eq!(percent_decode("%E2%9C%93%4"), "\u{2713}%4");
    }
}
