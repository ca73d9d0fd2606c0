//! How requests are authorized: Shared Key signing, a SAS token, or a bearer token.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use botbuilder_core::BoxError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Gives bearer tokens for Azure Storage (Microsoft Entra ID), for instance from a managed
/// identity: see the [crate docs](crate#managed-identity).
///
/// The store asks for a token before every request: cache tokens and refresh them before
/// they expire (the connector's credentials do).
///
/// ```
/// use botbuilder_core::BoxError;
/// use botbuilder_storage_azure_blob::{TokenProvider, STORAGE_SCOPE};
///
/// #[derive(Debug)]
/// struct FromTheVault;
///
/// #[async_trait::async_trait]
/// impl TokenProvider for FromTheVault {
///     async fn token(&self, scope: &str) -> Result<String, BoxError> {
///         assert_eq!(scope, STORAGE_SCOPE);
///         Ok("eyJ0eXAi...".to_owned())
///     }
/// }
/// ```
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A valid access token for `scope` ([`STORAGE_SCOPE`]), without the `Bearer ` prefix.
    ///
    /// # Errors
    /// Whatever kept the provider from getting a token; the request then fails with
    /// `Error::Storage`.
    async fn token(&self, scope: &str) -> Result<String, BoxError>;
}

/// The scope of Azure Storage tokens.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// How the store authorizes its requests.
#[derive(Clone)]
pub(crate) enum Credential {
    /// Shared Key: each request signed with the account key.
    SharedKey { account: String, key: Arc<[u8]> },
    /// A shared access signature appended to every URL (without its `?`).
    Sas(Arc<str>),
    /// A bearer token from a provider.
    Token(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and signatures are never shown.
        match self {
            Credential::SharedKey { account, .. } => f
                .debug_struct("SharedKey")
                .field("account", account)
                .finish_non_exhaustive(),
            Credential::Sas(_) => f.write_str("Sas(***)"),
            Credential::Token(provider) => f.debug_tuple("Token").field(provider).finish(),
        }
    }
}

/// Decodes an account key (base64).
pub(crate) fn decode_key(key: &str) -> Result<Arc<[u8]>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .map(Into::into)
        .map_err(|_| "the account key is not base64".to_owned())
}

/// The parts of a request that Shared Key signs.
pub(crate) struct ToSign<'a> {
    pub(crate) method: &'a str,
    /// The request URL (its path percent-encoded as sent).
    pub(crate) url: &'a url::Url,
    pub(crate) content_length: usize,
    pub(crate) content_type: &'a str,
    pub(crate) if_match: &'a str,
    pub(crate) if_none_match: &'a str,
    /// The `x-ms-*` headers, names lowercase.
    pub(crate) ms_headers: &'a [(&'a str, String)],
}

/// The `Authorization` header value for Shared Key: `SharedKey account:signature`, the
/// HMAC-SHA256 of the canonical request with the account key.
pub(crate) fn shared_key_authorization(
    account: &str,
    key: &[u8],
    request: &ToSign<'_>,
) -> Result<String, hmac::digest::InvalidLength> {
    let mut headers: Vec<(&str, &str)> = request
        .ms_headers
        .iter()
        .map(|(name, value)| (*name, value.trim()))
        .collect();
    headers.sort_unstable();
    let mut canonical_headers = String::new();
    for (name, value) in headers {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    let mut resource = format!("/{account}{}", request.url.path());
    let mut query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(name, value)| (name.to_lowercase(), value.into_owned()))
        .collect();
    query.sort();
    // Parameters given more than once are one line, their values joined by commas.
    let mut i = 0;
    while i < query.len() {
        let name = query[i].0.clone();
        let mut values = Vec::new();
        while i < query.len() && query[i].0 == name {
            values.push(query[i].1.as_str());
            i += 1;
        }
        resource.push('\n');
        resource.push_str(&name);
        resource.push(':');
        resource.push_str(&values.join(","));
    }
    let length = if request.content_length == 0 {
        String::new()
    } else {
        request.content_length.to_string()
    };
    let string_to_sign = format!(
        "{method}\n\n\n{length}\n\n{content_type}\n\n\n{if_match}\n{if_none_match}\n\n\n{canonical_headers}{resource}",
        method = request.method,
        content_type = request.content_type,
        if_match = request.if_match,
        if_none_match = request.if_none_match,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key)?;
    mac.update(string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    Ok(format!("SharedKey {account}:{signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical request (string to sign) of a request with a conditional header, two
    /// `x-ms-*` headers out of order, a repeated query parameter and an encoded blob name.
    /// (That Azurite accepts the signatures is the end-to-end proof.)
    #[test]
    fn the_string_to_sign_follows_the_shared_key_rules() {
        let url = url::Url::parse(
            "http://127.0.0.1:10000/devstoreaccount1/bots/a%252fb?restype=container&comp=list&comp=x",
        )
        .unwrap();
        let headers = [
            ("x-ms-version", "2021-12-02".to_owned()),
            ("x-ms-date", "Tue, 08 Dec 2026 00:00:00 GMT".to_owned()),
        ];
        let request = ToSign {
            method: "PUT",
            url: &url,
            content_length: 11,
            content_type: "application/json",
            if_match: "\"0x1\"",
            if_none_match: "",
            ms_headers: &headers,
        };
        let expected_string = "PUT\n\n\n11\n\napplication/json\n\n\n\"0x1\"\n\n\n\n\
            x-ms-date:Tue, 08 Dec 2026 00:00:00 GMT\nx-ms-version:2021-12-02\n\
            /devstoreaccount1/devstoreaccount1/bots/a%252fb\ncomp:list,x\nrestype:container";
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(expected_string.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(
            shared_key_authorization("devstoreaccount1", b"key", &request).unwrap(),
            format!("SharedKey devstoreaccount1:{expected}")
        );
    }
}
