//! Blob names for storage keys, as BotBuilder's `BlobsStorage` makes them.

use std::fmt::Write as _;

/// How a storage key becomes a blob name: the encoding of the BotBuilder SDK whose store a
/// bot takes over. Blob names are case-sensitive, so the two layouts name the same key
/// differently (`a/b` is `a%2fb` in .NET, `a%2Fb` in JavaScript).
///
/// ```
/// use botbuilder_storage_azure_blob::KeyLayout;
///
/// let key = "msteams/conversations/19:abc@thread.v2";
/// assert_eq!(KeyLayout::DotNet.blob_name(key), "msteams%2fconversations%2f19%3aabc%40thread.v2");
/// assert_eq!(KeyLayout::JavaScript.blob_name(key), "msteams%2Fconversations%2F19%3Aabc%40thread.v2");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyLayout {
    /// BotBuilder .NET (`Microsoft.Bot.Builder.Azure.Blobs.BlobsStorage`): the key URL-encoded
    /// as `HttpUtility.UrlEncode` does (UTF-8, lowercase hex, a space as `+`; letters,
    /// digits and `-_.!*()` kept). The default.
    #[default]
    DotNet,
    /// BotBuilder JavaScript (`botbuilder-azure-blobs`' `BlobsStorage`): empty path segments
    /// dropped, then the key encoded as `encodeURIComponent` does (uppercase hex; letters,
    /// digits and `-_.!~*'()` kept), cut at 1 024 characters.
    JavaScript,
}

impl KeyLayout {
    /// The blob name of a storage key.
    #[must_use]
    pub fn blob_name(self, key: &str) -> String {
        match self {
            KeyLayout::DotNet => dotnet_url_encode(key),
            KeyLayout::JavaScript => {
                let mut name = encode_uri_component(&collapse_segments(key));
                name.truncate(1024);
                name
            }
        }
    }

    /// The name used in store URLs (`layout=dotnet` / `layout=js`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KeyLayout::DotNet => "dotnet",
            KeyLayout::JavaScript => "js",
        }
    }
}

/// `HttpUtility.UrlEncode`.
fn dotnet_url_encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len() * 3);
    for &byte in key.as_bytes() {
        match byte {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02x}");
            }
        }
    }
    out
}

/// `encodeURIComponent`.
fn encode_uri_component(key: &str) -> String {
    let mut out = String::with_capacity(key.len() * 3);
    for &byte in key.as_bytes() {
        match byte {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// The JavaScript SDK's segment folding: the first segment is kept even when empty, later
/// empty segments are dropped, and segments past the 254th are joined without `/`.
fn collapse_segments(key: &str) -> String {
    let mut segments = key.split('/');
    let mut out = segments.next().unwrap_or_default().to_owned();
    for (index, part) in segments.enumerate() {
        if part.is_empty() {
            continue;
        }
        // `index` counts from the second segment, whose index in the JavaScript is 1.
        if index + 1 < 255 {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_names_are_http_utility_url_encode() {
        assert_eq!(
            KeyLayout::DotNet.blob_name("emulator/conversations/a b+c~ü"),
            "emulator%2fconversations%2fa+b%2bc%7e%c3%bc"
        );
        assert_eq!(KeyLayout::DotNet.blob_name("A-Z_0.9!*()"), "A-Z_0.9!*()");
        assert_eq!(KeyLayout::DotNet.blob_name("'"), "%27");
    }

    #[test]
    fn javascript_names_are_encode_uri_component_of_the_folded_key() {
        assert_eq!(
            KeyLayout::JavaScript.blob_name("emulator//conversations/a b~'ü/"),
            "emulator%2Fconversations%2Fa%20b~'%C3%BC"
        );
        assert_eq!(KeyLayout::JavaScript.blob_name("/a//b"), "%2Fa%2Fb");
        let long = "x/".repeat(300);
        let name = KeyLayout::JavaScript.blob_name(&long);
        assert_eq!(name.matches("%2F").count(), 254, "{name}");
        let huge = "é".repeat(400);
        assert_eq!(KeyLayout::JavaScript.blob_name(&huge).len(), 1024);
    }
}
