//! The incoming authenticator (`RequestAuthenticator::authenticate`) on arbitrary
//! `Authorization` headers and activities, for a bot with an app id.
//!
//! The fuzzer either writes the header itself, or chooses the claims (and key, key id and
//! algorithm) of a token that this target signs with the repository's test-only RSA keys,
//! optionally damaging one byte of it. Signing keys are served once by an OpenID metadata
//! server on 127.0.0.1 in this process and then cached (the clock stands still, so they are
//! never fetched again): no other network is touched.
//!
//! Invariants:
//! - `authenticate` never panics, and its error never contains the token;
//! - whatever it accepts satisfies every rule of the Bot Framework protocol, checked here
//!   independently from the claims that were signed (issuer, key, endorsement, audience or app
//!   id, service URL, lifetime with 5 minutes of skew), and its identity carries exactly the
//!   signed claims;
//! - a token with every claim right is accepted.

#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use botbuilder_connector::auth::incoming::{
    EMULATOR_ISSUERS, IdentitySource, IncomingAuthSettings, RequestAuthenticator,
};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_schema::{Activity, ChannelId};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
const CHANNEL_ISSUER: &str = "https://api.botframework.com";
const SERVICE_URL: &str = "https://smba.trafficmanager.net/amer/";
const NOW: u64 = 1_700_000_000;
const SKEW: u64 = 300;

// Test-only keys (see crates/botbuilder-test-support/fixtures/README.md).
const KEY_A_PEM: &[u8] =
    include_bytes!("../../crates/botbuilder-test-support/fixtures/test-only-rsa-a.pem");
const KEY_B_PEM: &[u8] =
    include_bytes!("../../crates/botbuilder-test-support/fixtures/test-only-rsa-b.pem");
const PUBLIC_JSON: &str =
    include_str!("../../crates/botbuilder-test-support/fixtures/test-only-rsa-public.json");

/// The channel key set: key A as `chan-a`, endorsed for Teams and Web Chat.
const CHANNEL_KID: &str = "chan-a";
const CHANNEL_ENDORSED: [&str; 2] = ["msteams", "webchat"];
/// The Emulator key set: key B as `emu-b`, no endorsements (like Entra ID's keys).
const EMULATOR_KID: &str = "emu-b";

struct Harness {
    runtime: tokio::runtime::Runtime,
    authenticator: RequestAuthenticator,
    key_a: EncodingKey,
    key_b: EncodingKey,
    /// Tokens already signed, by what was signed: RSA signing is most of the time of an
    /// input, and mutations often keep the claims.
    signed: Mutex<HashMap<String, String>>,
}

fn jwk(public: &Value, name: &str, kid: &str, endorsements: &[&str]) -> Value {
    let mut jwk = json!({
        "kty": "RSA", "use": "sig", "kid": kid,
        "n": public[name]["n"], "e": public[name]["e"],
    });
    if !endorsements.is_empty() {
        jwk["endorsements"] = json!(endorsements);
    }
    jwk
}

/// Serves `/{set}/metadata` and `/{set}/keys` for the `channel` and `emulator` key sets.
async fn key_server() -> SocketAddr {
    let public: Value = serde_json::from_str(PUBLIC_JSON).expect("the public keys");
    let channel = json!({"keys": [jwk(&public, "a", CHANNEL_KID, &CHANNEL_ENDORSED)]});
    let emulator = json!({"keys": [jwk(&public, "b", EMULATOR_KID, &[])]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let base = format!("http://{addr}");
    let router = axum::Router::new()
        .route(
            "/{set}/metadata",
            axum::routing::get(
                move |axum::extract::Path(set): axum::extract::Path<String>| {
                    let jwks_uri = format!("{base}/{set}/keys");
                    async move { axum::Json(json!({ "jwks_uri": jwks_uri })) }
                },
            ),
        )
        .route(
            "/{set}/keys",
            axum::routing::get(
                move |axum::extract::Path(set): axum::extract::Path<String>| {
                    let keys = if set == "channel" {
                        channel.clone()
                    } else {
                        emulator.clone()
                    };
                    async move { axum::Json(keys) }
                },
            ),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let addr = runtime.block_on(key_server());
        let config = BotConfig::new(APP_ID, "test-only-password")
            .with_channel_open_id_metadata_url(format!("http://{addr}/channel/metadata"))
            .with_emulator_open_id_metadata_url(format!("http://{addr}/emulator/metadata"));
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(NOW));
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("an HTTP client");
        let authenticator = RequestAuthenticator::with_parts(
            IncomingAuthSettings::from_config(&config),
            http,
            Arc::new(clock),
        )
        .expect("an authenticator");
        Harness {
            runtime,
            authenticator,
            key_a: EncodingKey::from_rsa_pem(KEY_A_PEM).expect("key A"),
            key_b: EncodingKey::from_rsa_pem(KEY_B_PEM).expect("key B"),
            signed: Mutex::new(HashMap::new()),
        }
    })
}

/// Arbitrary JSON, bounded by the input's size.
#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => json!(b),
            Json::Int(i) => json!(i),
            Json::Float(f) => json!(f),
            Json::Str(s) => json!(s),
            Json::Array(items) => Value::Array(items.iter().map(Json::value).collect()),
            Json::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.value())).collect())
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Issuer {
    Channel,
    Emulator(u8),
    Other(String),
    Json(Json),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Text {
    AppId,
    /// The app id in another case, or with a space.
    Near(bool),
    Other(String),
    Json(Json),
    List(Vec<Text>),
    Missing,
}

impl Text {
    fn value(&self) -> Option<Value> {
        match self {
            Text::AppId => Some(json!(APP_ID)),
            Text::Near(true) => Some(json!(APP_ID.to_uppercase())),
            Text::Near(false) => Some(json!(format!(" {APP_ID}"))),
            Text::Other(s) => Some(json!(s)),
            Text::Json(j) => Some(j.value()),
            Text::List(items) => Some(Value::Array(items.iter().filter_map(Text::value).collect())),
            Text::Missing => None,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Time {
    /// Seconds from now.
    Offset(i32),
    /// As a float.
    Fractional(i32, u16),
    Json(Json),
    Missing,
}

impl Time {
    fn value(&self) -> Option<Value> {
        match self {
            Time::Offset(s) => Some(json!(NOW as i64 + i64::from(*s))),
            Time::Fractional(s, f) => {
                Some(json!(NOW as f64 + f64::from(*s) + f64::from(*f) / 65536.0))
            }
            Time::Json(j) => Some(j.value()),
            Time::Missing => None,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Url {
    Same,
    SameOtherCase,
    Other(String),
    Json(Json),
    Missing,
}

#[derive(Arbitrary, Debug)]
struct Claims {
    iss: Issuer,
    aud: Text,
    appid: Text,
    azp: Text,
    ver: Option<Json>,
    exp: Time,
    nbf: Time,
    serviceurl: Url,
    extra: Vec<(String, Json)>,
}

impl Claims {
    fn value(&self) -> Value {
        let mut claims = Map::new();
        for (k, v) in &self.extra {
            claims.insert(k.clone(), v.value());
        }
        let mut set = |name: &str, value: Option<Value>| match value {
            Some(v) => {
                claims.insert(name.to_owned(), v);
            }
            None => {
                claims.remove(name);
            }
        };
        set(
            "iss",
            match &self.iss {
                Issuer::Channel => Some(json!(CHANNEL_ISSUER)),
                Issuer::Emulator(i) => Some(json!(
                    EMULATOR_ISSUERS[usize::from(*i) % EMULATOR_ISSUERS.len()]
                )),
                Issuer::Other(s) => Some(json!(s)),
                Issuer::Json(j) => Some(j.value()),
                Issuer::Missing => None,
            },
        );
        set("aud", self.aud.value());
        set("appid", self.appid.value());
        set("azp", self.azp.value());
        set("ver", self.ver.as_ref().map(Json::value));
        set("exp", self.exp.value());
        set("nbf", self.nbf.value());
        set(
            "serviceurl",
            match &self.serviceurl {
                Url::Same => Some(json!(SERVICE_URL)),
                Url::SameOtherCase => Some(json!(SERVICE_URL.to_uppercase())),
                Url::Other(s) => Some(json!(s)),
                Url::Json(j) => Some(j.value()),
                Url::Missing => None,
            },
        );
        Value::Object(claims)
    }
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Key {
    A,
    B,
}

#[derive(Arbitrary, Debug)]
enum Kid {
    Channel,
    Emulator,
    Other(String),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
}

#[derive(Arbitrary, Debug)]
enum Token {
    /// Any header value.
    Raw(String),
    /// A token signed here with the fuzzer's claims; `scheme` prefixes it.
    Signed {
        key: Key,
        kid: Kid,
        alg: Alg,
        claims: Box<Claims>,
        scheme: Option<String>,
        /// One byte replaced: (position, value).
        damage: Option<(u16, u8)>,
    },
    /// A token with every claim right, for the channel (true) or the Emulator.
    Valid(bool),
}

#[derive(Arbitrary, Debug)]
enum Channel {
    Teams,
    WebChat,
    Emulator,
    Other(String),
    Missing,
}

#[derive(Arbitrary, Debug)]
struct Input {
    token: Option<Token>,
    channel: Channel,
    /// The activity's service URL: the token's (`None`) or another.
    service_url: Option<String>,
}

struct Signed {
    key: Key,
    kid: Option<String>,
    claims: Value,
    /// The header as sent, and whether it is the signed token undamaged.
    header: String,
    intact: bool,
}

fn sign(harness: &Harness, key: Key, kid: Option<&str>, alg: Algorithm, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let what = format!("{key:?} {kid:?} {alg:?} {claims}");
    let mut signed = harness
        .signed
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(token) = signed.get(&what) {
        return token.clone();
    }
    let encoding = match key {
        Key::A => &harness.key_a,
        Key::B => &harness.key_b,
    };
    let token = jsonwebtoken::encode(&header, claims, encoding).expect("signing");
    if signed.len() >= 4096 {
        signed.clear();
    }
    signed.insert(what, token.clone());
    token
}

fn valid_claims(channel: bool) -> Value {
    let mut claims = json!({
        "nbf": NOW - 10, "iat": NOW - 10, "exp": NOW + 3600,
    });
    if channel {
        claims["iss"] = json!(CHANNEL_ISSUER);
        claims["aud"] = json!(APP_ID);
        claims["serviceurl"] = json!(SERVICE_URL);
    } else {
        claims["iss"] = json!(EMULATOR_ISSUERS[0]);
        claims["aud"] = json!("https://api.botframework.com");
        claims["appid"] = json!(APP_ID);
        claims["ver"] = json!("1.0");
    }
    claims
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<Option<f64>> {
    match claims.get(name) {
        None | Some(Value::Null) => Some(None),
        Some(v) => v.as_f64().map(Some),
    }
}

/// Whether the protocol allows these signed claims, checked from scratch.
fn allowed(
    signed: &Signed,
    channel_id: Option<&str>,
    service_url: Option<&str>,
) -> Result<IdentitySource, String> {
    let Value::Object(claims) = &signed.claims else {
        return Err("claims are not an object".into());
    };
    let iss = claims.get("iss").and_then(Value::as_str).ok_or("no iss")?;
    let source = if EMULATOR_ISSUERS.contains(&iss) {
        IdentitySource::Emulator
    } else if iss == CHANNEL_ISSUER {
        IdentitySource::Channel
    } else {
        return Err("unknown issuer".into());
    };
    let channel_id = channel_id.filter(|c| !c.is_empty()).ok_or("no channel")?;
    match (source, signed.key, signed.kid.as_deref()) {
        (IdentitySource::Channel, Key::A, Some(CHANNEL_KID)) => {
            if !CHANNEL_ENDORSED.contains(&channel_id) {
                return Err("not endorsed".into());
            }
        }
        (IdentitySource::Emulator, Key::B, Some(EMULATOR_KID)) => {}
        _ => return Err("wrong key".into()),
    }
    let exp = number(claims, "exp")
        .ok_or("exp not a number")?
        .ok_or("no exp")?;
    if (NOW as f64) > exp + SKEW as f64 {
        return Err("expired".into());
    }
    if let Some(nbf) = number(claims, "nbf").ok_or("nbf not a number")?
        && (NOW as f64) + (SKEW as f64) < nbf
    {
        return Err("not yet valid".into());
    }
    match source {
        IdentitySource::Channel => {
            let audience: Vec<&str> = match claims.get("aud") {
                Some(Value::String(a)) => vec![a.as_str()],
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !audience.contains(&APP_ID) {
                return Err("audience".into());
            }
            let claimed = claims
                .get("serviceurl")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .ok_or("no serviceurl")?;
            if !claimed.eq_ignore_ascii_case(service_url.unwrap_or("")) {
                return Err("service url".into());
            }
        }
        _ => {
            let version = claims.get("ver").ok_or("no ver")?;
            let claim = match version.as_str().unwrap_or("").trim() {
                "" | "1.0" => "appid",
                "2.0" => "azp",
                _ => return Err("version".into()),
            };
            if claims.get(claim).and_then(Value::as_str) != Some(APP_ID) {
                return Err("app id".into());
            }
        }
    }
    Ok(source)
}

fuzz_target!(|input: Input| {
    let harness = harness();
    let channel_id = match &input.channel {
        Channel::Teams => Some("msteams".to_owned()),
        Channel::WebChat => Some("webchat".to_owned()),
        Channel::Emulator => Some("emulator".to_owned()),
        Channel::Other(s) => Some(s.clone()),
        Channel::Missing => None,
    };
    let service_url = input
        .service_url
        .clone()
        .unwrap_or_else(|| SERVICE_URL.to_owned());
    let mut activity = Activity::message("hi");
    activity.channel_id = channel_id.clone().map(ChannelId::from);
    activity.service_url = Some(service_url.clone());

    let signed: Option<Signed> = match &input.token {
        None | Some(Token::Raw(_)) => None,
        Some(Token::Valid(channel)) => {
            let (key, kid) = if *channel {
                (Key::A, CHANNEL_KID)
            } else {
                (Key::B, EMULATOR_KID)
            };
            let claims = valid_claims(*channel);
            let token = sign(harness, key, Some(kid), Algorithm::RS256, &claims);
            Some(Signed {
                key,
                kid: Some(kid.to_owned()),
                claims,
                header: format!("Bearer {token}"),
                intact: true,
            })
        }
        Some(Token::Signed {
            key,
            kid,
            alg,
            claims,
            scheme,
            damage,
        }) => {
            let kid = match kid {
                Kid::Channel => Some(CHANNEL_KID.to_owned()),
                Kid::Emulator => Some(EMULATOR_KID.to_owned()),
                Kid::Other(s) => Some(s.clone()),
                Kid::Missing => None,
            };
            let alg = match alg {
                Alg::Rs256 => Algorithm::RS256,
                Alg::Rs384 => Algorithm::RS384,
                Alg::Rs512 => Algorithm::RS512,
                Alg::Ps256 => Algorithm::PS256,
            };
            let claims = claims.value();
            let token = sign(harness, *key, kid.as_deref(), alg, &claims);
            let mut bytes = token.clone().into_bytes();
            if let Some((at, byte)) = damage
                && !bytes.is_empty()
            {
                let at = usize::from(*at) % bytes.len();
                bytes[at] = *byte;
            }
            let damaged = String::from_utf8_lossy(&bytes).into_owned();
            let intact = damaged == token;
            let scheme = scheme.clone().unwrap_or_else(|| "Bearer".to_owned());
            let signed_key = if alg == Algorithm::PS256 {
                // A PS256 signature is never accepted: treat it as signed by no known key.
                None
            } else {
                Some(*key)
            };
            Some(Signed {
                key: signed_key.unwrap_or(Key::A),
                kid: if signed_key.is_some() { kid } else { None },
                claims,
                header: format!("{scheme} {damaged}"),
                intact,
            })
        }
    };
    let header: Option<String> = match (&input.token, &signed) {
        (Some(Token::Raw(raw)), _) => Some(raw.clone()),
        (_, Some(signed)) => Some(signed.header.clone()),
        _ => None,
    };

    let outcome = harness.runtime.block_on(
        harness
            .authenticator
            .authenticate(header.as_deref(), &activity),
    );

    match outcome {
        Err(error) => {
            let shown = format!("{error} {error:?}");
            if let Some(token) = header
                .as_deref()
                .and_then(|h| h.split_ascii_whitespace().nth(1))
                && token.len() > 16
            {
                assert!(!shown.contains(token), "the error shows the token: {shown}");
            }
            if let (Some(Token::Valid(_)), Some(signed)) = (&input.token, &signed) {
                // A well-formed token is refused only for what the activity says.
                let expected = allowed(signed, channel_id.as_deref(), Some(&service_url));
                assert!(
                    expected.is_err(),
                    "a valid token was refused: {error} (activity channel {channel_id:?}, service URL {service_url:?})"
                );
            }
        }
        Ok(identity) => {
            let signed = signed.unwrap_or_else(|| {
                panic!("an unsigned header was accepted: {header:?} -> {identity:?}")
            });
            assert!(
                signed.intact,
                "a damaged token was accepted: {:?}",
                signed.header
            );
            let scheme_ok = signed
                .header
                .split_ascii_whitespace()
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case("bearer"));
            assert!(scheme_ok, "accepted with scheme {:?}", signed.header);
            match allowed(&signed, channel_id.as_deref(), Some(&service_url)) {
                Ok(source) => assert_eq!(identity.source(), source),
                Err(rule) => panic!(
                    "accepted a token the protocol refuses ({rule}): claims {} for channel {channel_id:?}, service URL {service_url:?}",
                    signed.claims
                ),
            }
            assert_eq!(
                Value::Object(identity.claims().clone()),
                signed.claims,
                "the identity's claims are not the signed ones"
            );
        }
    }
});
