//! Test tokens: the test-only RSA keys of `fixtures/`, a local OpenID metadata + JWKS
//! server, and token minting.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{Mock, Reply};

/// The app id the test bots are registered with.
pub const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
/// Its password (sent only to the local token endpoint).
pub const PASSWORD: &str = "test-only-password";
/// The public cloud's channel token issuer.
pub const CHANNEL_ISSUER: &str = "https://api.botframework.com";
/// An Emulator issuer (v1 tokens).
pub const EMULATOR_ISSUER_V1: &str =
    "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/";
/// An Emulator issuer (v2 tokens).
pub const EMULATOR_ISSUER_V2: &str =
    "https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0";

// Test-only keys: see fixtures/README.md.
const KEY_A_PEM: &[u8] = include_bytes!("../fixtures/test-only-rsa-a.pem");
const KEY_B_PEM: &[u8] = include_bytes!("../fixtures/test-only-rsa-b.pem");
const PUBLIC_JSON: &str = include_str!("../fixtures/test-only-rsa-public.json");

/// One of the two test key pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestKey {
    A,
    B,
}

impl TestKey {
    fn name(self) -> &'static str {
        match self {
            TestKey::A => "a",
            TestKey::B => "b",
        }
    }

    fn encoding_key(self) -> EncodingKey {
        let pem = match self {
            TestKey::A => KEY_A_PEM,
            TestKey::B => KEY_B_PEM,
        };
        EncodingKey::from_rsa_pem(pem).expect("a test key")
    }

    /// The JWK of the public half, under `kid`, endorsed for `endorsements` (none: no
    /// `endorsements` member, like Entra ID's keys).
    pub fn jwk(self, kid: &str, endorsements: &[&str]) -> Value {
        let public: Value = serde_json::from_str(PUBLIC_JSON).expect("the public keys");
        let mut jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "kid": kid,
            "n": public[self.name()]["n"],
            "e": public[self.name()]["e"],
        });
        if !endorsements.is_empty() {
            jwk["endorsements"] = json!(endorsements);
        }
        jwk
    }

    /// Signs `claims` with this key, naming `kid`, with RS256.
    pub fn sign(self, kid: &str, claims: &Value) -> String {
        self.sign_with(Algorithm::RS256, kid, claims)
    }

    pub fn sign_with(self, alg: Algorithm, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding_key()).expect("a signed token")
    }
}

pub fn unix(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The claims of a channel token for `APP_ID`, valid for an hour from `now`.
pub fn channel_claims(now: SystemTime, service_url: &str) -> Value {
    let now = unix(now);
    json!({
        "iss": CHANNEL_ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 10,
        "iat": now - 10,
        "exp": now + 3600,
    })
}

/// The claims of an Emulator v1 token for `APP_ID`.
pub fn emulator_claims_v1(now: SystemTime) -> Value {
    let now = unix(now);
    json!({
        "iss": EMULATOR_ISSUER_V1,
        "aud": "https://api.botframework.com",
        "appid": APP_ID,
        "ver": "1.0",
        "tid": "d6d49420-f39b-4df7-a1dc-d59a935871db",
        "nbf": now - 10,
        "iat": now - 10,
        "exp": now + 3600,
    })
}

/// The claims of an Emulator v2 token for `APP_ID`.
pub fn emulator_claims_v2(now: SystemTime) -> Value {
    let now = unix(now);
    json!({
        "iss": EMULATOR_ISSUER_V2,
        "aud": APP_ID,
        "azp": APP_ID,
        "ver": "2.0",
        "nbf": now - 10,
        "iat": now - 10,
        "exp": now + 3600,
    })
}

/// An OpenID metadata document at `/metadata` pointing at a JWKS at `/keys`, on 127.0.0.1,
/// whose keys can be changed (rotation).
pub struct KeyServer {
    pub mock: Mock,
    jwks: Arc<Mutex<Value>>,
}

impl KeyServer {
    pub async fn start(keys: Vec<Value>) -> Self {
        let jwks = Arc::new(Mutex::new(json!({ "keys": keys })));
        let base: Arc<OnceLock<String>> = Arc::default();
        let (served_jwks, served_base) = (Arc::clone(&jwks), Arc::clone(&base));
        let mock = Mock::start(move |request, _| match request.path.as_str() {
            "/metadata" => Reply::json(
                200,
                json!({
                    "issuer": CHANNEL_ISSUER,
                    "jwks_uri": format!("{}/keys", served_base.get().expect("the base URL")),
                    "id_token_signing_alg_values_supported": ["RS256"],
                }),
            ),
            "/keys" => Reply::json(200, served_jwks.lock().unwrap().clone()),
            _ => Reply::empty(404),
        })
        .await;
        base.set(mock.url()).expect("set once");
        Self { mock, jwks }
    }

    pub fn metadata_url(&self) -> String {
        format!("{}/metadata", self.mock.url())
    }

    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.jwks.lock().unwrap() = json!({ "keys": keys });
    }

    /// How many times the JWKS was fetched.
    pub fn key_fetches(&self) -> usize {
        self.mock
            .requests()
            .iter()
            .filter(|r| r.path == "/keys")
            .count()
    }
}

/// A start time for manual clocks.
pub fn start_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}
