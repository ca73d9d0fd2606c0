//! `cargo run --example sign_in`, tested over HTTP: the example's bot behind the local Direct
//! Line endpoint with local sign-in, driven as a chat client drives it. `me` brings a sign-in
//! card whose link the endpoint filled in; the sign-in page gives a magic code; the code signs
//! the user in and `me` reads the stand-in profile API with the test token; `logout` signs out.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

#[path = "../examples/sign_in/bot.rs"]
mod bot;
#[path = "../examples/sign_in/stand_in.rs"]
mod stand_in;

use std::sync::Arc;
use std::time::Duration;

use botbuilder::directline::DirectLine;
use botbuilder::prelude::*;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The example's wiring on a loopback port.
struct Server {
    origin: String,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bound = listener.local_addr().unwrap();
    let origin = format!("http://{bound}");
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    assert!(DirectLine::local_sign_in_allowed(&adapter, bound).unwrap());
    let api = bot::ProfileApi::new(format!("{origin}{}", stand_in::STAND_IN_PATH));
    let bot: Arc<dyn Bot> = Arc::new(bot::SignInBot::new("graph", api));
    let direct_line = DirectLine::builder(adapter.clone(), Arc::clone(&bot), bound)
        .local_sign_in()
        .build()
        .unwrap();
    let app = botbuilder::hosting::router(adapter, bot)
        .merge(direct_line.router())
        .merge(stand_in::router(
            direct_line.local_sign_in().unwrap().clone(),
        ));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        // Keeps the endpoint alive as long as the server runs.
        let _direct_line = direct_line;
        botbuilder::hosting::serve_with_shutdown(listener, app, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Server {
        origin,
        http: reqwest::Client::new(),
        stop: Some(stop),
    }
}

/// One chat client's conversation.
struct Chat<'a> {
    server: &'a Server,
    id: String,
    token: String,
    watermark: Option<String>,
}

impl Server {
    async fn chat(&self) -> Chat<'_> {
        let answer: Value = self
            .http
            .post(format!("{}/v3/directline/conversations", self.origin))
            .json(&json!({"user": {"id": "ada", "name": "Ada"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Chat {
            server: self,
            id: answer["conversationId"].as_str().unwrap().to_owned(),
            token: answer["token"].as_str().unwrap().to_owned(),
            watermark: None,
        }
    }
}

impl Chat<'_> {
    /// Sends `text`; the answer comes once the bot's turn has run.
    async fn say(&mut self, text: &str) -> Vec<Value> {
        let status = self
            .server
            .http
            .post(format!(
                "{}/v3/directline/conversations/{}/activities",
                self.server.origin, self.id
            ))
            .bearer_auth(&self.token)
            .json(&json!({"type": "message", "text": text, "from": {"id": "ada", "name": "Ada"}}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "sending {text}");
        self.replies().await
    }

    /// The bot's activities since the last call.
    async fn replies(&mut self) -> Vec<Value> {
        let mut url = format!(
            "{}/v3/directline/conversations/{}/activities",
            self.server.origin, self.id
        );
        if let Some(w) = &self.watermark {
            url.push_str(&format!("?watermark={w}"));
        }
        let set: Value = self
            .server
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        self.watermark = set["watermark"].as_str().map(str::to_owned);
        set["activities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["from"]["id"] != "ada")
            .cloned()
            .collect()
    }
}

fn texts(activities: &[Value]) -> Vec<&str> {
    activities
        .iter()
        .filter_map(|a| a["text"].as_str())
        .collect()
}

/// The value of `<output id="magic-code">` on the page.
fn magic_code(page: &str) -> String {
    let start = page.find("id=\"magic-code\">").unwrap() + "id=\"magic-code\">".len();
    page[start..start + 6].to_owned()
}

#[tokio::test]
async fn sign_in_call_the_api_and_sign_out() {
    let server = start().await;
    let mut chat = server.chat().await;
    let welcome = chat.replies().await;
    assert_eq!(texts(&welcome), [bot::HELP]);

    // `me`: not signed in, so a sign-in card whose button the endpoint filled with its page.
    let card = chat.say("me").await;
    assert_eq!(card.len(), 1, "{card:?}");
    let attachment = &card[0]["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.oauth"
    );
    assert_eq!(attachment["content"]["connectionName"], "graph");
    let link = attachment["content"]["buttons"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        link.starts_with(&format!("{}/signin?state=", server.origin)),
        "{link}"
    );

    // The page asks for a display name, then shows the code.
    let page = server.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("value=\"Ada\""), "{page}");
    let state = link.split("state=").nth(1).unwrap();
    let done = server
        .http
        .post(format!("{}/signin", server.origin))
        .form(&[("state", state), ("name", "Ada Lovelace")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let code = magic_code(&done.text().await.unwrap());
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");

    // The link gave its code: it does not give another.
    let again = server
        .http
        .post(format!("{}/signin", server.origin))
        .form(&[("state", state), ("name", "Mallory")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    // Without the token the stand-in API refuses.
    let refused = server
        .http
        .get(format!("{}{}", server.origin, stand_in::STAND_IN_PATH))
        .bearer_auth("local-test-token-made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // The code, typed into the chat, signs the user in; the API knows them.
    let signed_in = chat.say(&code).await;
    assert_eq!(
        texts(&signed_in),
        ["You are signed in.", "You are Ada Lovelace."]
    );
    assert_eq!(texts(&chat.say("me").await), ["You are Ada Lovelace."]);

    // Signed out, `me` brings the card again.
    assert_eq!(texts(&chat.say("logout").await), ["You are signed out."]);
    let card = chat.say("me").await;
    assert_eq!(
        card[0]["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.oauth"
    );
}

#[tokio::test]
async fn a_wrong_code_does_not_sign_in() {
    let server = start().await;
    let mut chat = server.chat().await;
    chat.replies().await;
    chat.say("me").await;
    let wrong = chat.say("my code is 000000").await;
    // No token: the bot answers with its help, and `me` still asks to sign in.
    assert_eq!(texts(&wrong), [bot::HELP]);
    let card = chat.say("me").await;
    assert_eq!(
        card[0]["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.oauth"
    );
    // A page for an unknown link says it expired.
    let page = server
        .http
        .get(format!("{}/signin?state=nope", server.origin))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn local_sign_in_is_refused_beyond_loopback_and_for_a_registered_bot() {
    let bot: Arc<dyn Bot> = Arc::new(bot_fn(async |_ctx| Ok(())));
    let anonymous = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let everywhere = DirectLine::builder(
        anonymous.clone(),
        Arc::clone(&bot),
        "0.0.0.0:3978".parse().unwrap(),
    )
    .secret("a secret of 16 characters or more")
    .local_sign_in()
    .build();
    assert!(everywhere.is_err());
    let with_secret = DirectLine::builder(
        anonymous,
        Arc::clone(&bot),
        "127.0.0.1:3978".parse().unwrap(),
    )
    .secret("a secret of 16 characters or more")
    .local_sign_in()
    .build();
    assert!(with_secret.is_err());
    let registered = CloudAdapter::new(&BotConfig::new("app-id", "password")).unwrap();
    let error = DirectLine::builder(registered, bot, "127.0.0.1:3978".parse().unwrap())
        .local_sign_in()
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("development only"), "{error}");
}
