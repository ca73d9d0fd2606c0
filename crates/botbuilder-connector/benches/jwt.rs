//! Validating a channel's request token once its signing key is cached: what
//! authentication adds to every turn of a bot with an app id. The keys come from a local
//! OpenID metadata + JWKS server (test-only RSA key, `botbuilder-test-support`), fetched once before
//! measuring.
//!
//! - `new token`: a token the authenticator has not seen (its RSA signature is verified);
//!   512 distinct tokens in turn, more than it remembers.
//! - `same token again`: the token of the previous request, as channels send it until they
//!   renew it (the signature verified before is remembered; lifetime, endorsement, audience
//!   and service URL are checked).
//!
//! `cargo bench -p botbuilder-connector --bench jwt`
#![allow(missing_docs)]

use botbuilder_test_support as support;

use std::time::{Duration, SystemTime};

use botbuilder_connector::auth::incoming::{
    IdentitySource, IncomingAuthSettings, RequestAuthenticator,
};
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::schema::{Activity, ChannelId, ConversationAccount};
use criterion::{Criterion, criterion_group, criterion_main};

use support::auth::{APP_ID, KeyServer, TestKey, channel_claims};

const SERVICE_URL: &str = "https://webchat.botframework.com/";

fn jwt(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let keys = rt.block_on(KeyServer::start(vec![
        TestKey::A.jwk("key-1", &["webchat"]),
    ]));
    let config = BotConfig::from_map([
        ("MicrosoftAppId", APP_ID.to_owned()),
        ("MicrosoftAppPassword", "unused".to_owned()),
        ("ToBotFromChannelOpenIdMetadataUrl", keys.metadata_url()),
    ])
    .expect("a configuration");
    let authenticator = RequestAuthenticator::new(IncomingAuthSettings::from_config(&config))
        .expect("an authenticator");
    let token = TestKey::A.sign("key-1", &channel_claims(SystemTime::now(), SERVICE_URL));
    let header = format!("Bearer {token}");
    let mut activity = Activity::message("hi");
    activity.channel_id = Some(ChannelId::Webchat);
    activity.service_url = Some(SERVICE_URL.to_owned());
    activity.conversation = Some(ConversationAccount::new("conv-1"));

    // The first request fetches the keys; every one measured uses the cache.
    let identity = rt
        .block_on(authenticator.authenticate(Some(&header), &activity))
        .expect("the token is valid");
    assert_eq!(identity.source(), IdentitySource::Channel);

    let headers: Vec<String> = (0..512)
        .map(|i| {
            let mut claims = channel_claims(SystemTime::now(), SERVICE_URL);
            claims["jti"] = serde_json::json!(format!("token-{i}"));
            format!("Bearer {}", TestKey::A.sign("key-1", &claims))
        })
        .collect();

    let mut group = c.benchmark_group("jwt");
    let mut next = headers.iter().cycle();
    group.bench_function(
        "validate a channel token: new token (RS256, cached key)",
        |b| {
            b.iter(|| {
                let header = next.next().map(String::as_str);
                rt.block_on(authenticator.authenticate(header, &activity))
            })
        },
    );
    group.bench_function("validate a channel token: same token again", |b| {
        b.iter(|| rt.block_on(authenticator.authenticate(Some(&header), &activity)))
    });
    group.finish();
    assert_eq!(keys.key_fetches(), 1, "the keys were fetched again");
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = jwt
}
criterion_main!(benches);
