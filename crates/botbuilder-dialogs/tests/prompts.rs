//! Every prompt: recognized answers, unrecognized answers re-prompting (with the retry prompt
//! when given), validators rejecting and accepting with the attempt count, locales, styles.

mod support;

use std::sync::{Arc, Mutex};

use botbuilder_core::testing::TestAdapter;
use botbuilder_dialogs::choices::{Choice, ChoiceFactoryOptions, ListStyle};
use botbuilder_dialogs::recognizers::DateTimeResolution;
use botbuilder_dialogs::{
    AttachmentPrompt, ChoicePrompt, ConfirmPrompt, DateTimePrompt, DialogTurnStatus, NumberPrompt,
    PromptOptions, TextPrompt,
};
use botbuilder_schema::{
    ActionTypes, Activity, Attachment, CardAction, ChannelId, HeroCard, InputHints, Timestamp,
};
use serde_json::json;
use support::{ask, ask_dialog};

fn message(text: &str, locale: &str) -> Activity {
    Activity::message(text).with_locale(locale)
}

fn image(url: &str) -> Attachment {
    Attachment {
        content_type: "image/png".into(),
        content_url: Some(url.into()),
        ..Attachment::default()
    }
}

fn adapter_on(channel: ChannelId) -> TestAdapter {
    let mut template = TestAdapter::new().template().clone();
    template.channel_id = Some(channel);
    TestAdapter::with_template(template)
}

// ---- text -------------------------------------------------------------------------------

#[tokio::test]
async fn text_prompt_returns_the_text() {
    ask(TextPrompt::new("p"), PromptOptions::new("Name?"))
        .flow()
        .test("hi", "Name?")
        .test("Ada Lovelace", r#"result: "Ada Lovelace""#)
        .await;
}

#[tokio::test]
async fn text_prompt_asks_again_without_text_with_the_retry_prompt_or_the_prompt() {
    let blank = Activity::message("").with_attachment(image("https://example.com/a.png"));
    ask(
        TextPrompt::new("p"),
        PromptOptions::new("Name?").with_retry_prompt("Please type your name."),
    )
    .flow()
    .test("hi", "Name?")
    .send_activity(blank.clone())
    .assert_reply("Please type your name.")
    .test("   ", "Please type your name.")
    .test("Ada", r#"result: "Ada""#)
    .await;
    ask(TextPrompt::new("p"), PromptOptions::new("Name?"))
        .flow()
        .test("hi", "Name?")
        .send_activity(blank)
        .assert_reply("Name?")
        .await;
}

#[tokio::test]
async fn prompts_expect_input() {
    ask(TextPrompt::new("p"), PromptOptions::new("Name?"))
        .flow()
        .send("hi")
        .assert_reply_that("expecting input", |a| {
            a.input_hint == Some(InputHints::ExpectingInput)
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn text_validator_sees_the_attempt_count_and_can_send_its_own_message() {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let prompt = TextPrompt::new("p").with_validator(async move |v| {
        let text = v.recognized().cloned().unwrap_or_default();
        seen.lock().unwrap().push((v.attempt_count(), text.clone()));
        if text.contains('@') {
            return Ok(true);
        }
        if v.attempt_count() >= 2 {
            v.context()
                .send_activity(format!("Attempt {}: an email has an @.", v.attempt_count()))
                .await?;
        }
        Ok(false)
    });
    let client = ask(
        prompt,
        PromptOptions::new("Email?").with_retry_prompt("That is not an email."),
    );
    client
        .flow()
        .test("hi", "Email?")
        .test("nope", "That is not an email.")
        .test("still no", "Attempt 2: an email has an @.")
        .assert_no_reply()
        .test("ada@example.com", r#"result: "ada@example.com""#)
        .await;
    assert_eq!(
        *attempts.lock().unwrap(),
        [
            (1, "nope".to_owned()),
            (2, "still no".to_owned()),
            (3, "ada@example.com".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_validator_can_accept_an_unrecognized_answer() {
    let prompt = NumberPrompt::<i64>::new("p").with_validator(async move |v| {
        Ok(v.succeeded() || v.context().activity().text() == "skip")
    });
    ask(prompt, PromptOptions::new("How many?"))
        .flow()
        .test("hi", "How many?")
        .test("skip", "result: null")
        .await;
}

#[tokio::test]
async fn validators_read_the_prompt_options() {
    let prompt = NumberPrompt::<i64>::new("p").with_validator(async move |v| {
        let max = v
            .options()
            .validations
            .as_ref()
            .and_then(|x| x["max"].as_i64())
            .unwrap_or(i64::MAX);
        Ok(v.recognized().is_some_and(|n| *n <= max))
    });
    ask(
        prompt,
        PromptOptions::new("How many (at most 5)?").with_validations(json!({"max": 5})),
    )
    .flow()
    .test("hi", "How many (at most 5)?")
    .test("6", "How many (at most 5)?")
    .test("5", "result: 5")
    .await;
}

// ---- number -----------------------------------------------------------------------------

#[tokio::test]
async fn number_prompt_reads_numbers_in_sentences_and_words() {
    let client = ask(NumberPrompt::<i64>::new("p"), PromptOptions::new("Age?"));
    client
        .flow()
        .test("hi", "Age?")
        .test("I am 42 years old", "result: 42")
        .test("hi", "Age?")
        .test("forty two", "result: 42")
        .test("hi", "Age?")
        .test("-7", "result: -7")
        .await;
}

#[tokio::test]
async fn number_prompt_reads_decimals_as_written_in_the_locale() {
    let client = ask(NumberPrompt::<f64>::new("p"), PromptOptions::new("Amount?"));
    client
        .flow()
        .test("hi", "Amount?")
        .send_activity(message("1.234,5", "de-DE"))
        .assert_reply("result: 1234.5")
        .test("hi", "Amount?")
        .send_activity(message("1 234,5", "fr-FR"))
        .assert_reply("result: 1234.5")
        .test("hi", "Amount?")
        .send_activity(message("1,234.5", "en-US"))
        .assert_reply("result: 1234.5")
        .test("hi", "Amount?")
        .send_activity(message("3,5", "es-ES"))
        .assert_reply("result: 3.5")
        .test("hi", "Amount?")
        .send_activity(message("一百二十", "zh-CN"))
        .assert_reply("result: 120.0")
        .await;
}

#[tokio::test]
async fn number_prompt_default_locale_applies_when_the_activity_has_none() {
    let mut template = TestAdapter::new().template().clone();
    template.locale = None;
    let client = ask(
        NumberPrompt::<f64>::new("p").with_default_locale("de-DE"),
        PromptOptions::new("Betrag?"),
    )
    .with_adapter(TestAdapter::with_template(template));
    client
        .flow()
        .test("hi", "Betrag?")
        .test("2,5", "result: 2.5")
        // The activity's locale wins: in English, `2,5` is 2 then 5.
        .test("hi", "Betrag?")
        .send_activity(message("2,5", "en-US"))
        .assert_reply("result: 2.0")
        .await;
}

#[tokio::test]
async fn number_prompt_asks_again_for_non_numbers_decimals_and_out_of_range() {
    ask(
        NumberPrompt::<u8>::new("p"),
        PromptOptions::new("How many?").with_retry_prompt("A whole number from 0 to 255, please."),
    )
    .flow()
    .test("hi", "How many?")
    .test("lots", "A whole number from 0 to 255, please.")
    .test("2.5", "A whole number from 0 to 255, please.")
    .test("300", "A whole number from 0 to 255, please.")
    .test("-1", "A whole number from 0 to 255, please.")
    .test("12", "result: 12")
    .await;
}

#[tokio::test]
async fn number_validator_rejects_then_accepts() {
    let prompt = NumberPrompt::<i64>::new("p").with_validator(async move |v| {
        Ok(v.recognized().is_some_and(|age| *age > 0 && *age < 150))
    });
    ask(
        prompt,
        PromptOptions::new("Age?").with_retry_prompt("Between 1 and 149, please."),
    )
    .flow()
    .test("hi", "Age?")
    .test("200", "Between 1 and 149, please.")
    .test("0", "Between 1 and 149, please.")
    .test("abc", "Between 1 and 149, please.")
    .test("36", "result: 36")
    .await;
}

// ---- confirm ----------------------------------------------------------------------------

#[tokio::test]
async fn confirm_prompt_understands_yes_no_and_synonyms() {
    let client = ask(ConfirmPrompt::new("p"), PromptOptions::new("OK?"));
    let asked = "OK? (1) Yes or (2) No";
    let mut flow = client.flow();
    for (answer, value) in [
        ("yes", true),
        ("y", true),
        ("Sure", true),
        ("ok", true),
        ("yes please", true),
        ("no", false),
        ("n", false),
        ("nope", false),
        ("of course not", false),
        ("1", true),
        ("2", false),
    ] {
        flow = flow
            .test("hi", asked)
            .test(answer, format!("result: {value}"));
    }
    flow.await;
}

#[tokio::test]
async fn confirm_prompt_asks_again_with_its_choices() {
    ask(
        ConfirmPrompt::new("p"),
        PromptOptions::new("OK?").with_retry_prompt("Please answer yes or no."),
    )
    .flow()
    .test("hi", "OK? (1) Yes or (2) No")
    .test("maybe", "Please answer yes or no. (1) Yes or (2) No")
    .test("3", "Please answer yes or no. (1) Yes or (2) No")
    .test("yes", "result: true")
    .await;
}

#[tokio::test]
async fn confirm_prompt_in_other_languages() {
    let client = ask(ConfirmPrompt::new("p"), PromptOptions::new("?"));
    let mut flow = client.flow();
    for (locale, answer, value) in [
        ("fr-FR", "oui", true),
        ("fr-FR", "non merci", false),
        ("zh-CN", "是", true),
        ("zh-CN", "不是", false),
        ("de-DE", "ja", true),
        ("de-DE", "nein", false),
        ("es-ES", "sí", true),
        ("es-ES", "no", false),
        ("pt-BR", "sim", true),
        ("pt-BR", "não", false),
    ] {
        flow = flow
            .send_activity(message("hi", locale))
            .assert_reply_that("a question", |_| true)
            .send_activity(message(answer, locale))
            .assert_reply(format!("result: {value}"));
    }
    flow.await;
}

#[tokio::test]
async fn confirm_prompt_shows_the_locales_choices() {
    let client = ask(ConfirmPrompt::new("p"), PromptOptions::new("Continuer ?"));
    client
        .flow()
        .send_activity(message("salut", "fr-FR"))
        .assert_reply("Continuer ? (1) Oui ou (2) Non")
        .send_activity(message("peut-être", "fr-FR"))
        .assert_reply("Continuer ? (1) Oui ou (2) Non")
        .send_activity(message("2", "fr-FR"))
        .assert_reply("result: false")
        .send_activity(message("hi", "de-DE"))
        .assert_reply("Continuer ? (1) Ja oder (2) Nein")
        .await;
}

#[tokio::test]
async fn confirm_prompt_with_custom_choices_style_and_validator() {
    let prompt = ConfirmPrompt::new("p")
        .with_confirm_choices(
            Choice::from("Absolutely"),
            Choice::from("Not now").with_synonyms(["later"]),
        )
        .with_style(ListStyle::SuggestedAction)
        .with_validator(async move |v| {
            if v.recognized() == Some(&false) {
                v.context()
                    .send_activity("You must agree to go on.")
                    .await?;
                return Ok(false);
            }
            Ok(v.succeeded())
        });
    ask(prompt, PromptOptions::new("Agree?"))
        .flow()
        .send("hi")
        .assert_reply_that("suggested Absolutely / Not now", |a| {
            a.text() == "Agree?"
                && a.suggested_actions.as_ref().is_some_and(|s| {
                    s.actions
                        == [
                            CardAction::im_back("Absolutely"),
                            CardAction::im_back("Not now"),
                        ]
                })
        })
        .test("later", "You must agree to go on.")
        .test("absolutely", "result: true")
        .await;
}

#[tokio::test]
async fn confirm_prompt_without_numbers_does_not_read_numbers() {
    let prompt = ConfirmPrompt::new("p")
        .with_choice_options(ChoiceFactoryOptions::default().without_numbers());
    ask(prompt, PromptOptions::new("OK?"))
        .flow()
        .test("hi", "OK? Yes or No")
        .test("1", "OK? Yes or No")
        .test("yes", "result: true")
        .await;
}

// ---- choice -----------------------------------------------------------------------------

fn travel() -> PromptOptions {
    PromptOptions::new("How do you travel?").with_choices([
        Choice::from("Car"),
        Choice::from("Bus").with_synonyms(["coach"]),
        Choice::from("Bicycle"),
    ])
}

const TRAVEL_INLINE: &str = "How do you travel? (1) Car, (2) Bus, or (3) Bicycle";

#[tokio::test]
async fn choice_prompt_recognizes_value_synonym_number_ordinal_and_phrases() {
    let client = ask(ChoicePrompt::new("p"), travel());
    let mut flow = client.flow();
    for (answer, value, index) in [
        ("Bus", "Bus", 1),
        ("BICYCLE", "Bicycle", 2),
        ("car please", "Car", 0),
        ("the bus", "Bus", 1),
        ("I'll take the coach", "Bus", 1),
        ("2", "Bus", 1),
        ("the third one", "Bicycle", 2),
        ("the last one", "Bicycle", 2),
        ("first", "Car", 0),
    ] {
        flow = flow
            .test("hi", TRAVEL_INLINE)
            .send(answer)
            .assert_reply_that(format!("{answer:?} picks {value}"), move |a| {
                let text = a.text().strip_prefix("result: ").unwrap_or("");
                let found: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
                found["value"] == value && found["index"] == index
            });
    }
    flow.await;
}

#[tokio::test]
async fn choice_prompt_result_is_a_found_choice() {
    let client = ask(ChoicePrompt::new("p"), travel());
    client
        .flow()
        .test("hi", TRAVEL_INLINE)
        .test(
            "coach",
            r#"result: {"index":1,"score":1.0,"synonym":"coach","value":"Bus"}"#,
        )
        .await;
    let found: botbuilder_dialogs::choices::FoundChoice =
        client.dialog_turn_result().unwrap().result_as().unwrap();
    assert_eq!((found.value.as_str(), found.index), ("Bus", 1));
}

#[tokio::test]
async fn choice_prompt_asks_again_with_the_choices() {
    ask(
        ChoicePrompt::new("p"),
        travel().with_retry_prompt("Please pick one:"),
    )
    .flow()
    .test("hi", TRAVEL_INLINE)
    .test(
        "by plane",
        "Please pick one: (1) Car, (2) Bus, or (3) Bicycle",
    )
    .test("7", "Please pick one: (1) Car, (2) Bus, or (3) Bicycle")
    .test(
        "bus",
        r#"result: {"index":1,"score":1.0,"synonym":"Bus","value":"Bus"}"#,
    )
    .await;
}

#[tokio::test]
async fn choice_prompt_accepts_close_partial_matches_but_not_ambiguous_ones() {
    let pills = PromptOptions::new("Which pill?").with_choices(["Red pill", "Blue pill"]);
    let cities = PromptOptions::new("Which city?")
        .with_choices(["New York", "New Jersey", "Boston"])
        .with_style(ListStyle::None);
    let client = ask(ChoicePrompt::new("p"), pills);
    client
        .flow()
        .test("hi", "Which pill? (1) Red pill or (2) Blue pill")
        .send("the blue one")
        .assert_reply_contains(r#""value":"Blue pill""#)
        .await;
    ask(ChoicePrompt::new("p"), cities)
        .flow()
        .test("hi", "Which city?")
        .test("new", "Which city?")
        .send("new york")
        .assert_reply_contains(r#""value":"New York""#)
        .await;
}

#[tokio::test]
async fn choice_validator_rejects_then_accepts() {
    let prompt = ChoicePrompt::new("p").with_validator(async move |v| match v.recognized() {
        Some(found) if found.value == "Bus" => {
            v.context()
                .send_activity(format!("No buses today (attempt {}).", v.attempt_count()))
                .await?;
            Ok(false)
        }
        found => Ok(found.is_some()),
    });
    ask(prompt, travel())
        .flow()
        .test("hi", TRAVEL_INLINE)
        .test("bus", "No buses today (attempt 1).")
        .test("walk", TRAVEL_INLINE)
        .send("car")
        .assert_reply_contains(r#""value":"Car""#)
        .await;
}

#[tokio::test]
async fn choice_prompt_styles() {
    let style = |s: ListStyle| ask(ChoicePrompt::new("p").with_style(s), travel());
    style(ListStyle::Inline)
        .flow()
        .test("hi", TRAVEL_INLINE)
        .await;
    style(ListStyle::List)
        .flow()
        .test(
            "hi",
            "How do you travel?\n\n   1. Car\n   2. Bus\n   3. Bicycle",
        )
        .await;
    style(ListStyle::SuggestedAction)
        .flow()
        .send("hi")
        .assert_reply_that("three suggested actions", |a| {
            a.text() == "How do you travel?"
                && a.suggested_actions.as_ref().is_some_and(|s| {
                    let titles: Vec<_> = s
                        .actions
                        .iter()
                        .map(|x| x.title.clone().unwrap_or_default())
                        .collect();
                    titles == ["Car", "Bus", "Bicycle"]
                        && s.actions
                            .iter()
                            .all(|x| x.action_type == Some(ActionTypes::ImBack))
                })
        })
        .await;
    style(ListStyle::HeroCard)
        .flow()
        .send("hi")
        .assert_reply_that("a hero card with three buttons", |a| {
            let card = a
                .attachments()
                .first()
                .and_then(|x| x.as_card::<HeroCard>()?.ok());
            a.text.is_none()
                && card.is_some_and(|c| {
                    c.text.as_deref() == Some("How do you travel?")
                        && c.buttons.map(|b| b.len()) == Some(3)
                })
        })
        .send("Bicycle")
        .assert_reply_contains(r#""value":"Bicycle""#)
        .await;
    // The options' style wins over the prompt's.
    ask(
        ChoicePrompt::new("p").with_style(ListStyle::HeroCard),
        travel().with_style(ListStyle::Inline),
    )
    .flow()
    .test("hi", TRAVEL_INLINE)
    .await;
}

#[tokio::test]
async fn choice_prompt_auto_style_follows_the_channel() {
    ask(ChoicePrompt::new("p"), travel())
        .with_adapter(adapter_on(ChannelId::Webchat))
        .flow()
        .send("hi")
        .assert_reply_that("suggested actions on Web Chat", |a| {
            a.suggested_actions.as_ref().map(|s| s.actions.len()) == Some(3)
        })
        .await;
    ask(ChoicePrompt::new("p"), travel())
        .with_adapter(adapter_on(ChannelId::Msteams))
        .flow()
        .send("hi")
        .assert_reply_that("a hero card on Teams", |a| {
            a.attachments().first().map(|x| x.content_type.as_str())
                == Some("application/vnd.microsoft.card.hero")
        })
        .await;
}

#[tokio::test]
async fn choice_prompt_in_another_locale() {
    let options =
        PromptOptions::new("Comment voyagez-vous ?").with_choices(["Voiture", "Bus", "Vélo"]);
    ask(ChoicePrompt::new("p"), options)
        .flow()
        .send_activity(message("salut", "fr-FR"))
        .assert_reply("Comment voyagez-vous ? (1) Voiture, (2) Bus ou (3) Vélo")
        .send_activity(message("le deuxième", "fr-FR"))
        .assert_reply_contains(r#""value":"Bus""#)
        .send_activity(message("salut", "fr-FR"))
        .assert_reply_that("asked", |_| true)
        .send_activity(message("en velo", "fr-FR"))
        .assert_reply_contains(r#""value":"Vélo""#)
        .await;
}

#[tokio::test]
async fn choice_prompt_keeps_the_prompts_other_fields() {
    let mut question =
        Activity::message("Which one?").with_attachment(image("https://example.com/menu.png"));
    question.speak = Some("Which one?".into());
    let options = PromptOptions {
        prompt: Some(question),
        ..PromptOptions::default()
    }
    .with_choices(["A", "B"]);
    ask(ChoicePrompt::new("p"), options)
        .flow()
        .send("hi")
        .assert_reply_that("the text with choices, the speak and the image", |a| {
            a.text() == "Which one? (1) A or (2) B"
                && a.speak.as_deref() == Some("Which one?")
                && a.attachments().len() == 1
        })
        .await;
}

// ---- attachment -------------------------------------------------------------------------

#[tokio::test]
async fn attachment_prompt_returns_the_attachments() {
    let client = ask(
        AttachmentPrompt::new("p"),
        PromptOptions::new("Send a picture.").with_retry_prompt("A picture, please."),
    );
    client
        .flow()
        .test("hi", "Send a picture.")
        .test("here you go", "A picture, please.")
        .send_activity(
            Activity::message("")
                .with_attachment(image("https://example.com/1.png"))
                .with_attachment(image("https://example.com/2.png")),
        )
        .assert_reply_contains("https://example.com/2.png")
        .await;
    let attachments: Vec<Attachment> = client.dialog_turn_result().unwrap().result_as().unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0], image("https://example.com/1.png"));
}

#[tokio::test]
async fn attachment_validator_checks_the_content_type() {
    let prompt = AttachmentPrompt::new("p").with_validator(async move |v| {
        let images = v
            .recognized()
            .is_some_and(|all| all.iter().all(|a| a.content_type.starts_with("image/")));
        if v.succeeded() && !images {
            v.context().send_activity("Only images, please.").await?;
        }
        Ok(images)
    });
    let pdf = Attachment {
        content_type: "application/pdf".into(),
        content_url: Some("https://example.com/a.pdf".into()),
        ..Attachment::default()
    };
    ask(prompt, PromptOptions::new("Send a picture."))
        .flow()
        .test("hi", "Send a picture.")
        .send_activity(Activity::message("").with_attachment(pdf))
        .assert_reply("Only images, please.")
        .send_activity(Activity::message("").with_attachment(image("https://example.com/ok.png")))
        .assert_reply_contains("ok.png")
        .await;
}

// ---- date/time --------------------------------------------------------------------------

fn at(text: &str, now: &str, locale: &str) -> Activity {
    Activity {
        local_timestamp: Some(Timestamp::parse(now).unwrap()),
        ..message(text, locale)
    }
}

const NOW: &str = "2026-11-30T10:00:00-05:00";

#[tokio::test]
async fn datetime_prompt_reads_iso_and_written_forms() {
    let client = ask(DateTimePrompt::new("p"), PromptOptions::new("When?"));
    let mut flow = client.flow();
    for (answer, locale, expected) in [
        ("2026-12-01", "en-US", r#"["2026-12-01"]"#),
        ("2026-12-01T15:30", "en-US", r#"["2026-12-01T15:30"]"#),
        (
            "2026-12-01T15:30:00+02:00",
            "en-US",
            r#"["2026-12-01T15:30:00+02:00"]"#,
        ),
        ("tomorrow at 9am", "en-US", r#"["2026-12-01T09:00"]"#),
        ("December 3rd", "en-US", r#"["2026-12-03"]"#),
        ("12/01/2026", "en-US", r#"["2026-12-01"]"#),
        ("12/01/2026", "fr-FR", r#"["2026-01-12"]"#),
        ("demain à 15h30", "fr-FR", r#"["2026-12-01T15:30"]"#),
        ("in 10 minutes", "en-US", r#"["2026-11-30T10:10"]"#),
        ("3pm", "en-US", r#"["T15:00"]"#),
        (
            "from monday for 2 hours",
            "en-US",
            r#"["2026-11-30","PT2H"]"#,
        ),
    ] {
        flow = flow
            .test("hi", "When?")
            .send_activity(at(answer, NOW, locale))
            .assert_reply(format!("result: {expected}"));
    }
    flow.await;
}

#[tokio::test]
async fn datetime_prompt_asks_again_and_validates() {
    let prompt = DateTimePrompt::new("p").with_validator(async move |v| {
        // Only dates after the reference day.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        Ok(v.recognized().is_some_and(|all| {
            all.iter()
                .any(|r| matches!(r, DateTimeResolution::Date(d) if *d > today))
        }))
    });
    ask(
        prompt,
        PromptOptions::new("Which day?").with_retry_prompt("A day after today, please."),
    )
    .flow()
    .test("hi", "Which day?")
    .send_activity(at("whenever", NOW, "en-US"))
    .assert_reply("A day after today, please.")
    .send_activity(at("yesterday", NOW, "en-US"))
    .assert_reply("A day after today, please.")
    .send_activity(at("next friday", NOW, "en-US"))
    .assert_reply(r#"result: ["2026-12-04"]"#)
    .await;
}

#[test]
fn datetime_resolutions_round_trip_through_their_json() {
    let values = serde_json::json!([
        "2026-12-01",
        "T15:30",
        "T15:30:45",
        "2026-12-01T09:00",
        "2026-12-01T15:30:00+02:00",
        "PT2H",
        "PT90M",
        "PT30S",
        "P3D",
        "P2W",
        "-PT2H"
    ]);
    let parsed: Vec<DateTimeResolution> = serde_json::from_value(values.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), values);
    assert!(serde_json::from_value::<DateTimeResolution>(json!("soon")).is_err());
    assert!(serde_json::from_value::<DateTimeResolution>(json!("P")).is_err());
    assert!(serde_json::from_value::<DateTimeResolution>(json!("PTxH")).is_err());
    assert!(serde_json::from_value::<DateTimeResolution>(json!(3)).is_err());
}

// ---- all prompts ------------------------------------------------------------------------

#[tokio::test]
async fn a_prompt_without_a_question_sends_nothing_but_still_waits() {
    let client = ask(TextPrompt::new("p"), PromptOptions::default());
    let reply = client.send_activity("hi").await.unwrap();
    assert!(reply.is_none());
    assert_eq!(
        client.dialog_turn_result().map(|r| r.status),
        Some(DialogTurnStatus::Waiting)
    );
    let reply = client.send_activity("Ada").await.unwrap().unwrap();
    assert_eq!(reply.text(), r#"result: "Ada""#);
}

#[tokio::test]
async fn prompts_survive_a_restart_between_question_and_answer() {
    let storage = botbuilder_core::storage::MemoryStorage::new();
    let first = botbuilder_dialogs::testing::DialogTestClient::new(ask_dialog(
        ChoicePrompt::new("p"),
        travel(),
    ))
    .with_storage(storage.clone());
    first
        .flow()
        .test("hi", TRAVEL_INLINE)
        .test("plane", TRAVEL_INLINE)
        .await;
    let second = botbuilder_dialogs::testing::DialogTestClient::new(ask_dialog(
        ChoicePrompt::new("p").with_validator(async move |v| {
            // The attempt count was stored with the prompt.
            assert_eq!(v.attempt_count(), 2);
            Ok(v.succeeded())
        }),
        travel(),
    ))
    .with_storage(storage);
    second.flow().send("bike").assert_reply(TRAVEL_INLINE).await;
}
