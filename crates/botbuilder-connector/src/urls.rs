//! URL checks shared by the client, the credentials and the trust list.

use std::net::IpAddr;

use reqwest::Url;

use crate::ConnectorError;

/// Whether the URL's host is a loopback host: `localhost`, `127.0.0.0/8` or `[::1]`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(is_loopback_host)
}

/// Whether a host (as `Url::host_str` writes it) is a loopback host.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Parses an endpoint that will receive a secret (a password or a token): it must be `https`,
/// or `http` on a loopback host (local tests, the Emulator).
pub(crate) fn parse_secure(url: &str, what: &str) -> Result<Url, ConnectorError> {
    let parsed = Url::parse(url.trim())
        .map_err(|e| ConnectorError::invalid_url(url, format!("{what}: {e}")))?;
    check_secure(&parsed, what)?;
    Ok(parsed)
}

/// Checks the scheme rule of [`parse_secure`] on a parsed URL.
pub(crate) fn check_secure(url: &Url, what: &str) -> Result<(), ConnectorError> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => {
            return Err(ConnectorError::invalid_url(
                url.as_str(),
                format!("{what} must use https (http is allowed only for loopback hosts)"),
            ));
        }
        other => {
            return Err(ConnectorError::invalid_url(
                url.as_str(),
                format!("{what} must be an https URL, not `{other}`"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConnectorError::invalid_url(
            url.as_str(),
            format!("{what} has no host"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConnectorError::invalid_url(
            url.as_str(),
            format!("{what} must not contain credentials"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for u in [
            "http://localhost:3978/",
            "http://127.0.0.1:1/",
            "http://127.1.2.3/",
            "http://[::1]:8080/",
            "http://LOCALHOST/",
        ] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in [
            "http://localhost.evil.example/",
            "http://evil.localhost.example/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "https://smba.trafficmanager.net/",
        ] {
            assert!(!is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
    }

    #[test]
    fn secure_endpoints() {
        assert!(parse_secure("https://login.microsoftonline.com/x", "login URL").is_ok());
        assert!(parse_secure("http://127.0.0.1:9/x", "login URL").is_ok());
        assert!(parse_secure("http://[::1]:9/x", "login URL").is_ok());
        let e = parse_secure("http://login.example/x", "login URL").unwrap_err();
        assert!(e.to_string().contains("must use https"), "{e}");
        assert!(parse_secure("ftp://login.example/x", "login URL").is_err());
        assert!(parse_secure("not a url", "login URL").is_err());
        assert!(parse_secure("https://user:pw@login.example/", "login URL").is_err());
    }
}
