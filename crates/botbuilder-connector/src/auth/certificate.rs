//! [`CertificateCredentials`]: a client assertion signed with the app's certificate, instead
//! of a password.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;
use sha1::Digest as _;

use crate::ConnectorError;
use crate::auth::entra::{EntraClient, entra_credential_methods};
use crate::auth::{
    AccessToken, AppCredentials, JWT_BEARER_ASSERTION_TYPE, OnBehalfOfRequest,
    OutgoingAuthSettings, Secret,
};

/// How long a client assertion is valid: ten minutes, as Entra ID recommends (5 to 10).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The signature algorithm of a certificate's client assertion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionAlgorithm {
    /// RSASSA-PSS with SHA-256: what Microsoft Entra ID asks for today.
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256: what older identity providers (AD FS, some national
    /// clouds) accept.
    Rs256,
}

impl AssertionAlgorithm {
    fn jwt(self) -> Algorithm {
        match self {
            AssertionAlgorithm::Ps256 => Algorithm::PS256,
            AssertionAlgorithm::Rs256 => Algorithm::RS256,
        }
    }
}

/// An app's certificate and its RSA private key, read from PEM: the certificate (then any
/// intermediate certificates of its chain) and the key, `BEGIN PRIVATE KEY` (PKCS#8) or
/// `BEGIN RSA PRIVATE KEY` (PKCS#1), unencrypted.
///
/// `Debug` shows the thumbprint, never the key.
///
/// ```
/// use botbuilder_connector::auth::ClientCertificate;
///
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs");
/// let certificate = ClientCertificate::from_pem_files(
///     format!("{dir}/bot.pem"),
///     Some(format!("{dir}/bot.key")),
/// )?;
/// assert_eq!(certificate.thumbprint(), "C116812A47C276B4BCD072D240E0C0F5C1CEC1A3");
/// assert!(!format!("{certificate:?}").contains("PRIVATE"));
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    key: EncodingKey,
    /// DER of the certificate, then of the rest of the chain, in file order.
    chain: Vec<Vec<u8>>,
    sha1: [u8; 20],
    sha256: [u8; 32],
}

impl ClientCertificate {
    /// Reads the certificate (and chain) from `cert_pem` and the private key from `key_pem`,
    /// or from `cert_pem` itself when `key_pem` is `None` (one file holding both).
    ///
    /// The key is checked against the certificate: a signature made with it must verify with
    /// the certificate's public key.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] when there is no certificate or no key, the key is
    /// encrypted or not RSA, or it does not belong to the certificate.
    pub fn from_pem(cert_pem: &[u8], key_pem: Option<&[u8]>) -> Result<Self, ConnectorError> {
        let invalid = |reason: &str| ConnectorError::invalid_argument(reason.to_owned());
        let blocks = pem::parse_many(cert_pem).map_err(|_| {
            invalid("the certificate file is not PEM (`-----BEGIN CERTIFICATE-----`)")
        })?;
        let chain: Vec<Vec<u8>> = blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| b.contents().to_vec())
            .collect();
        let Some(leaf) = chain.first() else {
            return Err(invalid(
                "the certificate file holds no `-----BEGIN CERTIFICATE-----` block",
            ));
        };
        let key_blocks = match key_pem {
            Some(key_pem) => {
                pem::parse_many(key_pem).map_err(|_| invalid("the private key file is not PEM"))?
            }
            None => blocks.clone(),
        };
        if key_blocks
            .iter()
            .any(|b| b.tag() == "ENCRYPTED PRIVATE KEY")
        {
            return Err(invalid(
                "the private key is encrypted; give it unencrypted (`openssl pkcs8 -in key.pem -out plain.pem`) and protect the file instead",
            ));
        }
        let key_block = key_blocks
            .iter()
            .find(|b| matches!(b.tag(), "PRIVATE KEY" | "RSA PRIVATE KEY"))
            .ok_or_else(|| {
                invalid(
                    "no private key (`-----BEGIN PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----`) found",
                )
            })?;
        let key = EncodingKey::from_rsa_pem(pem::encode(key_block).as_bytes())
            .map_err(|_| invalid("the private key is not an RSA key"))?;
        let leaf_pem = pem::encode(&pem::Pem::new("CERTIFICATE", leaf.clone()));
        let public = DecodingKey::from_rsa_pem(leaf_pem.as_bytes())
            .map_err(|_| invalid("the certificate does not hold an RSA public key"))?;
        let probe = b"botbuilder-rs certificate check";
        let signature = jsonwebtoken::crypto::sign(probe, &key, Algorithm::RS256)
            .map_err(|_| invalid("the private key cannot sign (is it a valid RSA key?)"))?;
        let matches = jsonwebtoken::crypto::verify(&signature, probe, &public, Algorithm::RS256)
            .unwrap_or(false);
        if !matches {
            return Err(invalid(
                "the private key does not belong to the certificate (its signature does not verify with the certificate's public key)",
            ));
        }
        let sha1: [u8; 20] = sha1::Sha1::digest(leaf).into();
        let sha256: [u8; 32] = sha2::Sha256::digest(leaf).into();
        Ok(Self {
            key,
            chain,
            sha1,
            sha256,
        })
    }

    /// Reads [`from_pem`](Self::from_pem)'s input from files (`CertPemFile`, `CertKeyFile`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] naming the file that cannot be read, or as
    /// [`from_pem`](Self::from_pem).
    pub fn from_pem_files(
        cert_file: impl AsRef<Path>,
        key_file: Option<impl AsRef<Path>>,
    ) -> Result<Self, ConnectorError> {
        let read = |path: &Path, what: &str| {
            std::fs::read(path).map_err(|e| {
                ConnectorError::invalid_argument(format!(
                    "the {what} `{}` cannot be read: {e}",
                    path.display()
                ))
            })
        };
        let cert = read(cert_file.as_ref(), "certificate file (CertPemFile)")?;
        let key = match key_file {
            Some(path) => Some(read(path.as_ref(), "private key file (CertKeyFile)")?),
            None => None,
        };
        Self::from_pem(&cert, key.as_deref())
    }

    /// The SHA-1 thumbprint of the certificate, in upper-case hex, as the Azure portal shows
    /// it.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        self.sha1.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// How many certificates the chain holds (the certificate itself first).
    #[must_use]
    pub fn chain_len(&self) -> usize {
        self.chain.len()
    }

    /// A signed client assertion for `client_id` at `audience` (the token endpoint), valid
    /// from `now` for [`ASSERTION_LIFETIME`].
    fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: SystemTime,
        algorithm: AssertionAlgorithm,
        send_x5c: bool,
    ) -> Result<Secret, ConnectorError> {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            iss: &'a str,
            sub: &'a str,
            jti: String,
            nbf: u64,
            iat: u64,
            exp: u64,
        }
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let mut header = Header::new(algorithm.jwt());
        header.typ = Some("JWT".to_owned());
        header.x5t = Some(URL_SAFE_NO_PAD.encode(self.sha1));
        header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(self.sha256));
        if send_x5c {
            header.x5c = Some(self.chain.iter().map(|der| STANDARD.encode(der)).collect());
        }
        let claims = Claims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: new_jti(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME.as_secs(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| {
                ConnectorError::crypto("could not sign the certificate's client assertion", e)
            })
    }
}

/// A random version-4 UUID, the assertion's `jti` (unique per assertion).
fn new_jti() -> String {
    let bits = fastrand::u128(..);
    let bits = (bits & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint())
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// App credentials from a certificate (`CertPemFile` + `CertKeyFile`): OAuth 2.0
/// client-credentials tokens from Microsoft Entra ID, proving the app's identity with a JWT
/// signed by the certificate's private key (`private_key_jwt`) instead of a password.
///
/// The token request is `POST {authority}/oauth2/v2.0/token` with `grant_type=client_credentials`,
/// `client_id`, `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
/// `client_assertion` and `scope={scope}/.default`. The assertion is signed anew for every
/// token request:
///
/// - header: `alg` `PS256` (or `RS256`, see [`with_algorithm`](Self::with_algorithm)), `typ`
///   `JWT`, the certificate's thumbprints `x5t` (SHA-1) and `x5t#S256` (SHA-256), and with
///   [`with_x5c`](Self::with_x5c) (`SendX5C=true`) the chain as `x5c`, for subject name and
///   issuer (SN+I) authentication, where the app trusts a certificate by its subject and
///   issuing CA instead of its thumbprint, so it can be renewed without touching the app;
/// - claims: `aud` the token endpoint, `iss` and `sub` the app id, a unique `jti`, `nbf` and
///   `iat` now, `exp` ten minutes later.
///
/// Single-tenant apps ask their tenant ([`OutgoingAuthSettings::tenant_id`]). Tokens are cached
/// and refreshed like [`MicrosoftAppCredentials`](crate::auth::MicrosoftAppCredentials)'s;
/// neither the key, the assertion nor tokens appear in `Debug` or logs.
///
/// ```
/// use botbuilder_connector::auth::{AppCredentials, CertificateCredentials, ClientCertificate, OutgoingAuthSettings};
///
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs");
/// let certificate = ClientCertificate::from_pem_files(
///     format!("{dir}/bot.pem"),
///     Some(format!("{dir}/bot.key")),
/// )?;
/// let settings = OutgoingAuthSettings::default().with_tenant_id("contoso.onmicrosoft.com");
/// let credentials = CertificateCredentials::new("app-id", certificate, settings)?.with_x5c(true);
/// assert_eq!(credentials.app_id(), Some("app-id"));
/// assert_eq!(
///     credentials.token_endpoint().as_str(),
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
/// );
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub struct CertificateCredentials {
    app_id: String,
    certificate: ClientCertificate,
    algorithm: AssertionAlgorithm,
    send_x5c: bool,
    entra: EntraClient,
}

impl CertificateCredentials {
    /// Credentials for the app `app_id` (`MicrosoftAppId`) with this certificate, asking the
    /// authority of `settings`.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty app id or a malformed tenant;
    /// [`ConnectorError::InvalidUrl`] for a login URL that is malformed or not https;
    /// [`ConnectorError::Transport`] if no HTTP client can be built.
    pub fn new(
        app_id: impl Into<String>,
        certificate: ClientCertificate,
        settings: OutgoingAuthSettings,
    ) -> Result<Self, ConnectorError> {
        let app_id = app_id.into().trim().to_owned();
        if app_id.is_empty() {
            return Err(ConnectorError::invalid_argument(
                "MicrosoftAppId is empty (certificate credentials need the app's id)",
            ));
        }
        Ok(Self {
            app_id,
            certificate,
            algorithm: AssertionAlgorithm::default(),
            send_x5c: false,
            entra: EntraClient::new(settings)?,
        })
    }

    entra_credential_methods!();

    /// Sends the certificate chain in the assertion's `x5c` header (`SendX5C`), for subject
    /// name and issuer authentication. Default: off.
    #[must_use]
    pub fn with_x5c(mut self, send_x5c: bool) -> Self {
        self.send_x5c = send_x5c;
        self
    }

    /// Signs assertions with this algorithm (default [`AssertionAlgorithm::Ps256`]).
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: AssertionAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The certificate.
    #[must_use]
    pub fn certificate(&self) -> &ClientCertificate {
        &self.certificate
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken, ConnectorError> {
        let assertion = self.certificate.assertion(
            &self.app_id,
            self.entra.token_endpoint.as_str(),
            self.entra.clock.now(),
            self.algorithm,
            self.send_x5c,
        )?;
        tracing::debug!(
            app_id = %self.app_id,
            endpoint = self.entra.token_endpoint.as_str(),
            thumbprint = %self.certificate.thumbprint(),
            scope,
            "requesting an app token with the certificate"
        );
        self.entra
            .post_assertion(&self.app_id, assertion.expose(), scope)
            .await
    }
}

#[async_trait]
impl AppCredentials for CertificateCredentials {
    fn app_id(&self) -> Option<&str> {
        Some(&self.app_id)
    }

    fn oauth_scope(&self) -> &str {
        self.entra.settings.scope()
    }

    async fn token(&self, scope: &str) -> Result<Option<AccessToken>, ConnectorError> {
        self.entra
            .app_token(scope, |scope| async move { self.fetch(&scope).await })
            .await
    }

    async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        self.entra.invalidate(scope, rejected).await;
    }

    async fn on_behalf_of(
        &self,
        request: &OnBehalfOfRequest,
    ) -> Result<AccessToken, ConnectorError> {
        // The assertion's audience is the endpoint it is sent to: the user's tenant's.
        let endpoint = request.token_endpoint(&self.entra.settings)?;
        let assertion = self.certificate.assertion(
            &self.app_id,
            endpoint.as_str(),
            self.entra.clock.now(),
            self.algorithm,
            self.send_x5c,
        )?;
        self.entra
            .on_behalf_of(
                &endpoint,
                &self.app_id,
                &[
                    ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                    ("client_assertion", assertion.expose()),
                ],
                request,
            )
            .await
    }
}

impl fmt::Debug for CertificateCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredentials")
            .field("app_id", &self.app_id)
            .field("certificate", &self.certificate)
            .field("algorithm", &self.algorithm)
            .field("send_x5c", &self.send_x5c)
            .field("token_endpoint", &self.entra.token_endpoint.as_str())
            .field("scope", &self.entra.settings.scope())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jti_is_a_version_4_uuid_and_unique() {
        let a = new_jti();
        let b = new_jti();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }
}
