//! The connector client against a mock connector and a mock token endpoint on 127.0.0.1.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::Method;
use futures::TryStreamExt;
use serde_json::json;

use botbuilder_connector::auth::{
    AnonymousCredentials, AppCredentials, ManagedIdentityCredentials, MicrosoftAppCredentials,
    OutgoingAuthSettings,
};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::schema::{
    Activity, AttachmentData, ChannelAccount, ConversationAccount, ConversationParameters,
    Transcript,
};
use botbuilder_connector::{ConnectorClientFactory, ConnectorError, RetryPolicy, TrustedHosts};
use support::{Mock, Reply};

const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
const PASSWORD: &str = "sUp3r~s3cret.pa55word";
const CONV: &str = "19:abc@thread.skype;messageid=1";
const CONV_ENC: &str = "19%3Aabc%40thread.skype%3Bmessageid%3D1";

fn start_clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        ..RetryPolicy::default()
    }
}

struct Setup {
    connector: Mock,
    login: Mock,
    clock: ManualClock,
    factory: ConnectorClientFactory,
}

impl Setup {
    async fn new() -> Self {
        Self::with(OutgoingAuthSettings::default(), None).await
    }

    async fn with(settings: OutgoingAuthSettings, throttle: Option<Duration>) -> Self {
        let connector = Mock::connector().await;
        let login = Mock::token_endpoint(3600).await;
        let clock = start_clock();
        let settings = if settings.login_url.is_none() {
            settings.with_login_url(format!("{}/botframework.com", login.url()))
        } else {
            settings
        };
        let credentials = MicrosoftAppCredentials::new(APP_ID, PASSWORD, settings)
            .unwrap()
            .with_clock(Arc::new(clock.clone()))
            .with_retry_policy(fast_policy());
        let mut builder = ConnectorClientFactory::builder(Arc::new(credentials))
            .clock(Arc::new(clock.clone()))
            .retry_policy(fast_policy());
        if let Some(interval) = throttle {
            builder = builder.conversation_throttle(interval);
        }
        Self {
            connector,
            login,
            clock,
            factory: builder.build().unwrap(),
        }
    }

    fn client(&self) -> botbuilder_connector::ConnectorClient {
        self.factory.client_for(&self.connector.url()).unwrap()
    }
}

#[track_caller]
fn assert_request(
    r: &support::Recorded,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) {
    assert_eq!(r.method, method, "method of {path}");
    assert_eq!(r.path, path);
    assert_eq!(
        r.header("authorization"),
        Some("Bearer tok-1"),
        "auth of {path}"
    );
    match body {
        Some(expected) => {
            assert!(
                r.header("content-type")
                    .is_some_and(|c| c.starts_with("application/json")),
                "content type of {path}: {:?}",
                r.header("content-type")
            );
            assert_eq!(r.json(), expected, "body of {path}");
        }
        None => assert!(r.body.is_empty(), "no body for {path}"),
    }
}

#[tokio::test]
async fn every_operation_sends_the_right_request_with_one_token() {
    let s = Setup::new().await;
    let c = s.client();
    let m = &s.connector;
    let conversations = c.conversations();
    let base = "/v3/conversations";

    // get conversations, with and without a continuation token
    m.script(
        Method::GET,
        base,
        Reply::json(200, json!({"continuationToken": "next", "conversations": [{"id": "c1", "members": [{"id": "u1"}]}]})),
    );
    let page = conversations.get_conversations(None).await.unwrap();
    assert_eq!(page.continuation_token.as_deref(), Some("next"));
    assert_eq!(page.conversations[0].members[0].id, "u1");
    assert_request(&m.last(), Method::GET, base, None);
    assert_eq!(m.last().query, None);
    m.script(
        Method::GET,
        base,
        Reply::json(200, json!({"conversations": []})),
    );
    conversations
        .get_conversations(Some("a b&c"))
        .await
        .unwrap();
    assert_eq!(m.last().query_pairs()["continuationToken"], "a b&c");

    // create conversation
    let params = ConversationParameters {
        is_group: Some(false),
        bot: Some(ChannelAccount::new("28:bot")),
        members: Some(vec![ChannelAccount::new("29:user")]),
        tenant_id: Some("t-1".into()),
        activity: Some(Activity::message("hello")),
        ..ConversationParameters::default()
    };
    m.script(
        Method::POST,
        base,
        Reply::json(201, json!({"id": "new-conv", "activityId": "a-0", "serviceUrl": "https://smba.trafficmanager.net/amer/"})),
    );
    let created = conversations.create_conversation(&params).await.unwrap();
    assert_eq!(created.id, "new-conv");
    assert_eq!(created.activity_id.as_deref(), Some("a-0"));
    assert_request(
        &m.last(),
        Method::POST,
        base,
        Some(serde_json::to_value(&params).unwrap()),
    );

    // send to conversation
    let activity = Activity::message("hi there")
        .with_conversation(ConversationAccount::new(CONV))
        .with_recipient(ChannelAccount::new("29:user"));
    let sent = conversations
        .send_to_conversation(CONV, &activity)
        .await
        .unwrap();
    assert!(sent.id.starts_with("id-"));
    let activities = format!("{base}/{CONV_ENC}/activities");
    assert_request(
        &m.last(),
        Method::POST,
        &activities,
        Some(serde_json::to_value(&activity).unwrap()),
    );

    // send conversation history
    let transcript = Transcript {
        activities: vec![Activity::message("one"), Activity::message("two")],
        ..Transcript::default()
    };
    conversations
        .send_conversation_history(CONV, &transcript)
        .await
        .unwrap();
    assert_request(
        &m.last(),
        Method::POST,
        &format!("{activities}/history"),
        Some(
            json!({"activities": [{"type": "message", "text": "one"}, {"type": "message", "text": "two"}]}),
        ),
    );

    // reply to activity (an id with characters that need encoding)
    let reply = Activity::message("a reply");
    m.script(
        Method::POST,
        &format!("{activities}/1%3A2%2F3"),
        Reply::json(200, json!({"id": "r-9"})),
    );
    let replied = conversations
        .reply_to_activity(CONV, "1:2/3", &reply)
        .await
        .unwrap();
    assert_eq!(replied.id, "r-9");
    assert_request(
        &m.last(),
        Method::POST,
        &format!("{activities}/1%3A2%2F3"),
        Some(json!({"type": "message", "text": "a reply"})),
    );

    // update activity (some channels answer with an empty body)
    let edited = Activity::message("edited").with_id("r-9");
    m.script(Method::PUT, &format!("{activities}/r-9"), Reply::empty(200));
    let updated = conversations
        .update_activity(CONV, "r-9", &edited)
        .await
        .unwrap();
    assert_eq!(updated.id, "");
    assert_request(
        &m.last(),
        Method::PUT,
        &format!("{activities}/r-9"),
        Some(json!({"type": "message", "id": "r-9", "text": "edited"})),
    );

    // delete activity
    m.script(
        Method::DELETE,
        &format!("{activities}/r-9"),
        Reply::empty(202),
    );
    conversations.delete_activity(CONV, "r-9").await.unwrap();
    assert_request(
        &m.last(),
        Method::DELETE,
        &format!("{activities}/r-9"),
        None,
    );

    // members
    let members = format!("{base}/{CONV_ENC}/members");
    m.script(
        Method::GET,
        &members,
        Reply::json(
            200,
            json!([{"id": "29:a", "name": "Ada"}, {"id": "29:b", "userRole": "user"}]),
        ),
    );
    let all = conversations.get_conversation_members(CONV).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].extra["userRole"], "user");
    assert_request(&m.last(), Method::GET, &members, None);

    // one member
    m.script(
        Method::GET,
        &format!("{members}/29%3Aa"),
        Reply::json(
            200,
            json!({"id": "29:a", "name": "Ada", "aadObjectId": "o-1"}),
        ),
    );
    let one = conversations
        .get_conversation_member(CONV, "29:a")
        .await
        .unwrap();
    assert_eq!(one.aad_object_id.as_deref(), Some("o-1"));
    assert_request(&m.last(), Method::GET, &format!("{members}/29%3Aa"), None);

    // paged members
    let paged = format!("{base}/{CONV_ENC}/pagedmembers");
    m.script(
        Method::GET,
        &paged,
        Reply::json(
            200,
            json!({"continuationToken": "p2", "members": [{"id": "29:a"}]}),
        ),
    );
    let page = conversations
        .get_conversation_paged_members(CONV, Some(50), Some("p1"))
        .await
        .unwrap();
    assert_eq!(page.continuation_token.as_deref(), Some("p2"));
    assert_request(&m.last(), Method::GET, &paged, None);
    let q = m.last().query_pairs();
    assert_eq!(
        (q["pageSize"].as_str(), q["continuationToken"].as_str()),
        ("50", "p1")
    );

    // delete member
    m.script(
        Method::DELETE,
        &format!("{members}/29%3Ab"),
        Reply::empty(200),
    );
    conversations
        .delete_conversation_member(CONV, "29:b")
        .await
        .unwrap();
    assert_request(
        &m.last(),
        Method::DELETE,
        &format!("{members}/29%3Ab"),
        None,
    );

    // activity members
    let activity_members = format!("{activities}/a-1/members");
    m.script(
        Method::GET,
        &activity_members,
        Reply::json(200, json!([{"id": "29:a"}])),
    );
    let am = conversations
        .get_activity_members(CONV, "a-1")
        .await
        .unwrap();
    assert_eq!(am[0].id, "29:a");
    assert_request(&m.last(), Method::GET, &activity_members, None);

    // upload attachment (bytes are base64-encoded)
    let attachments = format!("{base}/{CONV_ENC}/attachments");
    m.script(
        Method::POST,
        &attachments,
        Reply::json(200, json!({"id": "att-1"})),
    );
    let up = conversations
        .upload_attachment_bytes(
            CONV,
            "report.pdf",
            "application/pdf",
            b"%PDF-1.7",
            Some(b"png"),
        )
        .await
        .unwrap();
    assert_eq!(up.id, "att-1");
    assert_request(
        &m.last(),
        Method::POST,
        &attachments,
        Some(
            json!({"type": "application/pdf", "name": "report.pdf", "originalBase64": "JVBERi0xLjc=", "thumbnailBase64": "cG5n"}),
        ),
    );
    let data = AttachmentData {
        name: Some("x".into()),
        ..AttachmentData::default()
    };
    m.script(
        Method::POST,
        &attachments,
        Reply::json(200, json!({"id": "att-2"})),
    );
    assert_eq!(
        conversations
            .upload_attachment(CONV, &data)
            .await
            .unwrap()
            .id,
        "att-2"
    );

    // attachment info and view
    m.script(
        Method::GET,
        "/v3/attachments/att%3A1",
        Reply::json(200, json!({"name": "report.pdf", "type": "application/pdf", "views": [{"viewId": "original", "size": 8}]})),
    );
    let info = c.attachments().get_attachment_info("att:1").await.unwrap();
    assert_eq!(info.views[0].view_id, "original");
    assert_request(&m.last(), Method::GET, "/v3/attachments/att%3A1", None);
    m.script(
        Method::GET,
        "/v3/attachments/att%3A1/views/original",
        Reply::bytes(200, "application/octet-stream", b"\x00\x01binary\xff"),
    );
    let bytes = c
        .attachments()
        .get_attachment("att:1", "original")
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"\x00\x01binary\xff");
    assert_request(
        &m.last(),
        Method::GET,
        "/v3/attachments/att%3A1/views/original",
        None,
    );

    // One token for all of it, asked the standard way.
    let tokens = s.login.requests();
    assert_eq!(tokens.len(), 1, "one token request for many sends");
    let t = &tokens[0];
    assert_eq!(t.method, Method::POST);
    assert_eq!(t.path, "/botframework.com/oauth2/v2.0/token");
    assert!(
        t.header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    let form = t.form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], APP_ID);
    assert_eq!(form["client_secret"], PASSWORD);
    assert_eq!(form["scope"], "https://api.botframework.com/.default");
}

#[tokio::test]
async fn empty_ids_are_refused_before_sending() {
    let s = Setup::new().await;
    let e = s
        .client()
        .conversations()
        .send_to_conversation(" ", &Activity::message("x"))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::InvalidArgument { .. }), "{e}");
    assert!(s.connector.requests().is_empty());
}

#[tokio::test]
async fn token_is_fetched_again_after_expiry() {
    let s = Setup::new().await;
    let c = s.client();
    c.conversations()
        .send_to_conversation("c", &Activity::message("1"))
        .await
        .unwrap();
    s.clock.advance(Duration::from_secs(60));
    c.conversations()
        .send_to_conversation("c", &Activity::message("2"))
        .await
        .unwrap();
    assert_eq!(s.login.requests().len(), 1);
    s.clock.advance(Duration::from_secs(3600));
    c.conversations()
        .send_to_conversation("c", &Activity::message("3"))
        .await
        .unwrap();
    assert_eq!(s.login.requests().len(), 2);
    assert_eq!(
        s.connector.last().header("authorization"),
        Some("Bearer tok-2")
    );
}

#[tokio::test]
async fn token_is_refreshed_before_it_expires() {
    let s = Setup::new().await;
    let c = s.client();
    c.conversations()
        .send_to_conversation("c", &Activity::message("1"))
        .await
        .unwrap();
    // Four minutes before expiry the token is still valid, but due for refresh.
    s.clock.advance(Duration::from_secs(3600 - 240));
    c.conversations()
        .send_to_conversation("c", &Activity::message("2"))
        .await
        .unwrap();
    assert_eq!(s.login.requests().len(), 2);
    assert_eq!(
        s.connector.last().header("authorization"),
        Some("Bearer tok-2")
    );
}

#[tokio::test]
async fn concurrent_sends_share_one_token_request() {
    let s = Setup::new().await;
    let c = s.client();
    let sends = (0..20).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            c.conversations()
                .send_to_conversation(&format!("c{i}"), &Activity::message("x"))
                .await
        })
    });
    for r in futures::future::join_all(sends).await {
        r.unwrap().unwrap();
    }
    assert_eq!(s.login.requests().len(), 1);
    assert_eq!(s.connector.requests().len(), 20);
}

#[tokio::test]
async fn single_tenant_tokens_come_from_the_tenant() {
    let login = Mock::token_endpoint(3600).await;
    // The botframework.com tenant does not know a single-tenant app.
    login.script(
        Method::POST,
        "/botframework.com/oauth2/v2.0/token",
        Reply::json(400, json!({"error": "unauthorized_client", "error_description": "AADSTS700016: Application with identifier '1111' was not found in the directory 'Bot Framework'.\r\nTrace ID: 9"})),
    );
    let connector = Mock::connector().await;
    let make = |settings: OutgoingAuthSettings| {
        let credentials = MicrosoftAppCredentials::new(APP_ID, PASSWORD, settings).unwrap();
        ConnectorClientFactory::builder(Arc::new(credentials))
            .retry_policy(fast_policy())
            .build()
            .unwrap()
            .client_for(&connector.url())
            .unwrap()
    };

    let multi = make(
        OutgoingAuthSettings::default().with_login_url(format!("{}/botframework.com", login.url())),
    );
    let e = multi
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap_err();
    match &e {
        ConnectorError::Token {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(400));
            assert_eq!(code.as_deref(), Some("unauthorized_client"));
            assert!(message.as_deref().unwrap().starts_with("AADSTS700016"));
        }
        other => panic!("expected a token error, got {other:?}"),
    }
    assert!(e.to_string().contains("MicrosoftAppTenantId"), "{e}");
    assert!(
        connector.requests().is_empty(),
        "nothing sent without a token"
    );

    let single = make(
        OutgoingAuthSettings::default()
            .with_login_url(format!("{}/botframework.com", login.url()))
            .with_tenant_id("contoso-tenant-id"),
    );
    single
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    let last_token = login.last();
    assert_eq!(last_token.path, "/contoso-tenant-id/oauth2/v2.0/token");
    assert_eq!(last_token.form()["client_id"], APP_ID);
    assert!(
        connector
            .last()
            .header("authorization")
            .unwrap()
            .starts_with("Bearer tok-")
    );
}

#[tokio::test]
async fn overridden_scope_is_asked_with_default_suffix() {
    let s = Setup::with(
        OutgoingAuthSettings::default().with_oauth_scope("https://api.botframework.us"),
        None,
    )
    .await;
    s.client()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    assert_eq!(
        s.login.last().form()["scope"],
        "https://api.botframework.us/.default"
    );
    // A client for another scope (a skill) gets its own token.
    s.factory
        .client_for_scope(&s.connector.url(), "skill-app-id")
        .unwrap()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    assert_eq!(s.login.last().form()["scope"], "skill-app-id/.default");
    assert_eq!(s.login.requests().len(), 2);
}

#[tokio::test]
async fn throttled_post_waits_retry_after_then_succeeds() {
    let s = Setup::new().await;
    let path = "/v3/conversations/c/activities";
    s.connector.script(
        Method::POST,
        path,
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("retry-after", "7"),
    );
    let sent = s
        .client()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    assert!(sent.id.starts_with("id-"));
    assert_eq!(s.connector.requests().len(), 2);
    assert_eq!(s.clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let s = Setup::new().await;
    let path = "/v3/conversations/c/members";
    // The clock stands at 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT.
    s.connector.script(
        Method::GET,
        path,
        Reply::empty(503).header("retry-after", "Tue, 14 Nov 2023 22:13:32 GMT"),
    );
    s.connector
        .script(Method::GET, path, Reply::json(200, json!([])));
    s.client()
        .conversations()
        .get_conversation_members("c")
        .await
        .unwrap();
    assert_eq!(s.clock.sleeps(), vec![Duration::from_secs(12)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_is_returned_to_the_caller() {
    let s = Setup::new().await;
    s.connector.script(
        Method::POST,
        "/v3/conversations/c/activities",
        Reply::empty(429).header("retry-after", "3600"),
    );
    let e = s
        .client()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ConnectorError::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(3600)),
        "{e:?}"
    );
    assert_eq!(s.connector.requests().len(), 1);
    assert!(s.clock.sleeps().is_empty());
}

#[tokio::test]
async fn transient_failures_are_retried_until_give_up_with_a_typed_error() {
    let s = Setup::new().await;
    let path = "/v3/conversations/c/members";
    for status in [502, 504, 503, 503] {
        s.connector.script(
            Method::GET,
            path,
            Reply::json(
                status,
                json!({"error": {"code": "ServiceError", "message": "try later"}}),
            ),
        );
    }
    let e = s
        .client()
        .conversations()
        .get_conversation_members("c")
        .await
        .unwrap_err();
    match &e {
        ConnectorError::Service {
            status,
            code,
            message,
            retry_after,
        } => {
            assert_eq!(status.as_u16(), 503);
            assert_eq!(code.as_deref(), Some("ServiceError"));
            assert_eq!(message.as_deref(), Some("try later"));
            assert_eq!(*retry_after, None);
        }
        other => panic!("expected a service error, got {other:?}"),
    }
    assert_eq!(s.connector.requests().len(), 4, "one try and three retries");
    let sleeps = s.clock.sleeps();
    assert_eq!(sleeps.len(), 3);
    assert!(
        sleeps.iter().all(|d| *d <= Duration::from_millis(4)),
        "{sleeps:?}"
    );
}

#[tokio::test]
async fn a_500_is_not_retried_and_carries_the_service_error() {
    let s = Setup::new().await;
    s.connector.script(
        Method::GET,
        "/v3/conversations/c/members/u",
        Reply::json(500, json!({"error": {"code": "ServiceError", "message": "boom", "innerHttpError": {"statusCode": 500}}})),
    );
    let e = s
        .client()
        .conversations()
        .get_conversation_member("c", "u")
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(e.code(), Some("ServiceError"));
    assert_eq!(
        e.to_string(),
        "the connector service answered 500 Internal Server Error: ServiceError: boom"
    );
    assert_eq!(s.connector.requests().len(), 1);
}

#[tokio::test]
async fn a_post_is_retried_only_when_it_was_not_accepted() {
    let s = Setup::new().await;
    let c = s.client();
    let path = "/v3/conversations/c/activities";
    for status in [502, 504, 503, 500] {
        s.connector.script(Method::POST, path, Reply::empty(status));
        let before = s.connector.requests().len();
        let e = c
            .conversations()
            .send_to_conversation("c", &Activity::message("x"))
            .await
            .unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            s.connector.requests().len(),
            before + 1,
            "{status} not retried"
        );
    }
    // A 503 naming a time to come back was a refusal: retried.
    s.connector.script(
        Method::POST,
        path,
        Reply::empty(503).header("retry-after", "1"),
    );
    let before = s.connector.requests().len();
    c.conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    assert_eq!(s.connector.requests().len(), before + 2);
}

#[tokio::test]
async fn connection_failures_are_retried_then_a_transport_error() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let clock = start_clock();
    let factory = ConnectorClientFactory::builder(Arc::new(AnonymousCredentials))
        .clock(Arc::new(clock.clone()))
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    let e = factory
        .client_for(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Transport { .. }), "{e:?}");
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!(
        clock.sleeps().len(),
        3,
        "a POST that never connected is retried"
    );
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let s = Setup::new().await;
    let path = "/v3/conversations/c/activities";
    s.connector.script(
        Method::POST,
        path,
        Reply::json(
            401,
            json!({"message": "Authorization has been denied for this request."}),
        ),
    );
    s.client()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    let sent = s.connector.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(sent[1].header("authorization"), Some("Bearer tok-2"));

    // Refused twice: a typed error, no loop.
    s.connector.script(Method::POST, path, Reply::empty(401));
    s.connector.script(Method::POST, path, Reply::empty(401));
    let e = s
        .client()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ConnectorError::Refused { status, .. } if status.as_u16() == 401),
        "{e:?}"
    );
    assert_eq!(s.connector.requests().len(), 4);
    assert_eq!(s.login.requests().len(), 3);
}

/// A factory whose HTTP client resolves `evil.example` to a mock on 127.0.0.1, so a request to
/// an untrusted host would really arrive somewhere we can see.
fn factory_resolving_evil(
    credentials: Arc<dyn AppCredentials>,
    evil: &Mock,
    trusted: TrustedHosts,
) -> ConnectorClientFactory {
    let http = reqwest::Client::builder()
        .resolve("evil.example", evil.addr)
        .build()
        .unwrap();
    ConnectorClientFactory::builder(credentials)
        .http_client(http)
        .trusted_hosts(trusted)
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_token_never_goes_to_an_untrusted_host() {
    let login = Mock::token_endpoint(3600).await;
    let evil = Mock::connector().await;
    let credentials: Arc<dyn AppCredentials> = Arc::new(
        MicrosoftAppCredentials::new(
            APP_ID,
            PASSWORD,
            OutgoingAuthSettings::default()
                .with_login_url(format!("{}/botframework.com", login.url())),
        )
        .unwrap(),
    );
    let trusted = TrustedHosts::default();
    let factory = factory_resolving_evil(credentials, &evil, trusted.clone());
    let evil_url = format!("http://evil.example:{}/", evil.addr.port());

    let e = factory
        .client_for(&evil_url)
        .unwrap()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ConnectorError::UntrustedServiceUrl { host } if host == "evil.example"),
        "{e:?}"
    );
    assert!(
        evil.requests().is_empty(),
        "nothing sent to the untrusted host"
    );
    assert!(login.requests().is_empty(), "no token even fetched");

    // Trusted but plain http: still nothing sent.
    trusted.allow("evil.example").unwrap();
    let e = factory
        .client_for(&evil_url)
        .unwrap()
        .attachments()
        .get_attachment_info("a")
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::InvalidUrl { .. }), "{e:?}");
    assert!(evil.requests().is_empty());
}

#[tokio::test]
async fn a_redirect_to_another_host_does_not_carry_the_token() {
    let s = Setup::new().await;
    let evil = Mock::start(|_, _| Reply::bytes(200, "application/octet-stream", b"content")).await;
    let credentials = Arc::clone(s.factory.credentials());
    let factory = factory_resolving_evil(credentials, &evil, TrustedHosts::default());
    s.connector.script(
        Method::GET,
        "/v3/attachments/a/views/original",
        Reply::empty(302).header(
            "location",
            &format!("http://evil.example:{}/blob", evil.addr.port()),
        ),
    );
    let bytes = factory
        .client_for(&s.connector.url())
        .unwrap()
        .attachments()
        .get_attachment("a", "original")
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"content");
    assert!(s.connector.last().header("authorization").is_some());
    assert_eq!(evil.requests().len(), 1);
    assert_eq!(evil.last().header("authorization"), None);
}

#[tokio::test]
async fn anonymous_sends_go_anywhere_without_authorization() {
    let evil = Mock::connector().await;
    let factory =
        factory_resolving_evil(Arc::new(AnonymousCredentials), &evil, TrustedHosts::empty());
    factory
        .client_for(&format!("http://evil.example:{}", evil.addr.port()))
        .unwrap()
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    assert_eq!(evil.requests().len(), 1);
    assert_eq!(evil.last().header("authorization"), None);
}

#[tokio::test]
async fn hosts_trusted_from_incoming_activities_are_shared_with_clients() {
    let login = Mock::token_endpoint(3600).await;
    let evil = Mock::connector().await;
    let credentials: Arc<dyn AppCredentials> = Arc::new(
        MicrosoftAppCredentials::new(
            APP_ID,
            PASSWORD,
            OutgoingAuthSettings::default()
                .with_login_url(format!("{}/botframework.com", login.url())),
        )
        .unwrap(),
    );
    let trusted = TrustedHosts::empty();
    let factory = factory_resolving_evil(credentials, &evil, trusted.clone());
    let client = factory
        .client_for(&format!("https://evil.example:{}", evil.addr.port()))
        .unwrap();
    let e = client
        .attachments()
        .get_attachment_info("a")
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::UntrustedServiceUrl { .. }));
    // The adapter trusts the service URL of an authenticated activity...
    trusted.trust("https://evil.example/").unwrap();
    // ...and the same client now sends (over https, which the plain mock cannot answer:
    // the failure is a transport error, i.e. the trust check passed).
    let e = client
        .attachments()
        .get_attachment_info("a")
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Transport { .. }), "{e:?}");
}

#[tokio::test]
async fn the_throttle_spaces_sends_and_keeps_their_order() {
    let s = Setup::with(
        OutgoingAuthSettings::default(),
        Some(Duration::from_secs(1)),
    )
    .await;
    let c = s.client();
    let sends = (1..=5).map(|i| {
        let c = c.clone();
        async move {
            c.conversations()
                .send_to_conversation(CONV, &Activity::message(i.to_string()))
                .await
        }
    });
    for r in futures::future::join_all(sends).await {
        r.unwrap();
    }
    let texts: Vec<String> = s
        .connector
        .requests()
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["1", "2", "3", "4", "5"]);
    assert_eq!(s.clock.sleeps(), vec![Duration::from_secs(1); 4]);
    // Another conversation does not wait.
    c.conversations()
        .send_to_conversation("other", &Activity::message("x"))
        .await
        .unwrap();
    assert_eq!(s.clock.sleeps().len(), 4);
    // Reads are not throttled.
    c.conversations().get_conversation_members(CONV).await.ok();
    assert_eq!(s.clock.sleeps().len(), 4);
}

#[tokio::test]
async fn paged_members_stream_follows_continuation_tokens() {
    let s = Setup::new().await;
    let path = format!("/v3/conversations/{CONV_ENC}/pagedmembers");
    s.connector.script(
        Method::GET,
        &path,
        Reply::json(
            200,
            json!({"continuationToken": "p2", "members": [{"id": "a"}, {"id": "b"}]}),
        ),
    );
    s.connector.script(
        Method::GET,
        &path,
        Reply::json(
            200,
            json!({"continuationToken": "p3", "members": [{"id": "c"}]}),
        ),
    );
    s.connector.script(
        Method::GET,
        &path,
        Reply::json(200, json!({"members": [{"id": "d"}]})),
    );
    let members: Vec<ChannelAccount> = s
        .client()
        .conversations()
        .paged_members_stream(CONV, Some(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    let queries: Vec<_> = s
        .connector
        .requests()
        .iter()
        .map(|r| r.query_pairs())
        .collect();
    assert_eq!(queries.len(), 3);
    assert_eq!(queries[0].get("continuationToken"), None);
    assert_eq!(queries[1]["continuationToken"], "p2");
    assert_eq!(queries[2]["continuationToken"], "p3");
    assert!(queries.iter().all(|q| q["pageSize"] == "2"));
}

#[tokio::test]
async fn paged_members_stream_yields_errors() {
    let s = Setup::new().await;
    let path = "/v3/conversations/c/pagedmembers";
    s.connector.script(
        Method::GET,
        path,
        Reply::json(
            200,
            json!({"continuationToken": "p2", "members": [{"id": "a"}]}),
        ),
    );
    s.connector.script(
        Method::GET,
        path,
        Reply::json(
            404,
            json!({"error": {"code": "NotFound", "message": "gone"}}),
        ),
    );
    let result: Result<Vec<ChannelAccount>, _> = s
        .client()
        .conversations()
        .paged_members_stream("c", None)
        .try_collect()
        .await;
    assert_eq!(result.unwrap_err().code(), Some("NotFound"));
}

#[tokio::test]
async fn managed_identity_tokens_come_from_imds() {
    let imds = Mock::start(|_, n| {
        Reply::json(200, json!({"access_token": format!("mi-{n}"), "expires_in": "86399", "expires_on": "1", "resource": "https://api.botframework.com", "token_type": "Bearer"}))
    })
    .await;
    let connector = Mock::connector().await;
    let credentials =
        ManagedIdentityCredentials::new("mi-client-id", "https://api.botframework.com")
            .unwrap()
            .with_endpoint(&format!("{}/metadata/identity/oauth2/token", imds.url()))
            .unwrap();
    let client = ConnectorClientFactory::new(Arc::new(credentials))
        .unwrap()
        .client_for(&connector.url())
        .unwrap();
    for _ in 0..3 {
        client
            .conversations()
            .send_to_conversation("c", &Activity::message("x"))
            .await
            .unwrap();
    }
    assert_eq!(
        connector.last().header("authorization"),
        Some("Bearer mi-1")
    );
    let asked = imds.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].method, Method::GET);
    assert_eq!(asked[0].path, "/metadata/identity/oauth2/token");
    assert_eq!(asked[0].header("metadata"), Some("true"));
    let q = asked[0].query_pairs();
    assert_eq!(q["api-version"], "2018-02-01");
    assert_eq!(q["resource"], "https://api.botframework.com");
    assert_eq!(q["client_id"], "mi-client-id");

    assert!(
        ManagedIdentityCredentials::new("x", "s")
            .unwrap()
            .with_endpoint("http://metadata.example/token")
            .is_err()
    );
}

#[tokio::test]
async fn clients_are_cached_per_service_url() {
    let s = Setup::new().await;
    let a = s
        .factory
        .client_for("https://smba.trafficmanager.net/amer/")
        .unwrap();
    let b = s
        .factory
        .client_for("https://smba.trafficmanager.net/amer")
        .unwrap();
    let c = s
        .factory
        .client_for("https://smba.trafficmanager.net/emea/")
        .unwrap();
    assert!(a.ptr_eq(&b));
    assert!(!a.ptr_eq(&c));
    assert_eq!(a.service_url(), "https://smba.trafficmanager.net/amer");
    assert!(a.ptr_eq(&a.clone()));
    assert!(matches!(
        s.factory.client_for("not a url"),
        Err(ConnectorError::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_token() {
    let s = Setup::new().await;
    let c = s.client();
    c.conversations()
        .send_to_conversation("c", &Activity::message("1"))
        .await
        .unwrap();
    s.clock.advance(Duration::from_secs(3600 - 120));
    for _ in 0..4 {
        s.login.script(
            Method::POST,
            "/botframework.com/oauth2/v2.0/token",
            Reply::empty(503),
        );
    }
    c.conversations()
        .send_to_conversation("c", &Activity::message("2"))
        .await
        .unwrap();
    assert_eq!(
        s.connector.last().header("authorization"),
        Some("Bearer tok-1")
    );
}
