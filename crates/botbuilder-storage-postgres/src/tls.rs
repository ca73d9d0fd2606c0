//! TLS to PostgreSQL: libpq's `sslmode` on rustls (ring, Mozilla's roots by default).

use std::fmt;
use std::sync::Arc;

use botbuilder_core::Error;
use botbuilder_core::storage::backend::CertificateProblem;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How a connection uses TLS and checks the server's certificate: libpq's `sslmode`.
///
/// ```
/// use botbuilder_storage_postgres::SslMode;
///
/// assert_eq!("verify-full".parse::<SslMode>(), Ok(SslMode::VerifyFull));
/// assert_eq!(SslMode::default(), SslMode::Prefer);
/// assert!("verify_full".parse::<SslMode>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is not checked (unless
    /// a root certificate is given: then as [`VerifyCa`](Self::VerifyCa)). libpq's default,
    /// and this crate's.
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked (unless a root certificate is
    /// given: then as [`VerifyCa`](Self::VerifyCa)). Protects against eavesdropping, not
    /// against a server impersonated on the network.
    Require,
    /// TLS, and the certificate must be signed by a trusted certificate authority; its host
    /// name is not checked.
    VerifyCa,
    /// TLS, the certificate signed by a trusted certificate authority and valid for the host
    /// name connected to. What to use over any network you do not control.
    VerifyFull,
}

impl SslMode {
    /// The name libpq gives it (`verify-full`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `sslmode` that is none of libpq's five.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown sslmode {0:?}: expected disable, prefer, require, verify-ca or verify-full \
     (allow is not supported)"
)]
pub struct UnknownSslMode(pub String);

impl std::str::FromStr for SslMode {
    type Err = UnknownSslMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => return Err(UnknownSslMode(other.to_owned())),
        })
    }
}

/// The `tokio-postgres` mode that gets TLS going; the checks are in the verifier.
pub(crate) fn driver_mode(mode: SslMode) -> tokio_postgres::config::SslMode {
    use tokio_postgres::config::SslMode as Driver;
    match mode {
        SslMode::Disable => Driver::Disable,
        SslMode::Prefer => Driver::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
    }
}

/// The mode a `tokio-postgres` configuration asked for (its parser knows three).
pub(crate) fn from_driver_mode(mode: tokio_postgres::config::SslMode) -> SslMode {
    use tokio_postgres::config::SslMode as Driver;
    match mode {
        Driver::Disable => SslMode::Disable,
        Driver::Require => SslMode::Require,
        _ => SslMode::Prefer,
    }
}

/// The TLS connector for `mode`, trusting the certificate authorities in `root_pem` (PEM)
/// or, without it, Mozilla's roots.
pub(crate) fn connector(
    mode: SslMode,
    root_pem: Option<&[u8]>,
) -> Result<MakeRustlsConnect, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    match root_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert =
                    cert.map_err(|e| Error::storage("reading the postgres sslrootcert", e))?;
                roots
                    .add(cert)
                    .map_err(|e| Error::storage("reading the postgres sslrootcert", e))?;
            }
            if roots.is_empty() {
                return Err(Error::storage(
                    "reading the postgres sslrootcert",
                    "the file holds no PEM certificate",
                ));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::storage("configuring postgres TLS", e))?;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, root_pem.is_some()) {
        (SslMode::VerifyFull, _) => webpki,
        (SslMode::VerifyCa, _) | (SslMode::Prefer | SslMode::Require, true) => {
            Arc::new(AnyHostName(webpki))
        }
        // `disable` never starts TLS: any verifier will do.
        (SslMode::Disable, _) | (SslMode::Prefer | SslMode::Require, false) => {
            Arc::new(Unchecked(provider.signature_verification_algorithms))
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::storage("configuring postgres TLS", e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The chain is verified before the name: a name error means the chain is good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require` without a root certificate: the certificate is not checked (libpq
/// does the same), the handshake's signatures are.
#[derive(Debug)]
struct Unchecked(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// Why the server's certificate was refused, when a TLS handshake failed on it.
pub(crate) fn certificate_problem(
    error: &(dyn std::error::Error + 'static),
) -> Option<CertificateProblem> {
    use CertificateError as C;
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(rustls::Error::InvalidCertificate(certificate)) = rustls_error(e) {
            return Some(match certificate {
                C::UnknownIssuer => CertificateProblem::UnknownIssuer,
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    CertificateProblem::WrongHostName
                }
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. } => CertificateProblem::Expired,
                _ => CertificateProblem::Other,
            });
        }
        current = e.source();
    }
    None
}

/// The rustls error an error is or wraps (in an `io::Error`, as tokio-rustls returns it).
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(found) = error.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .and_then(|inner| rustls_error(inner))
}
