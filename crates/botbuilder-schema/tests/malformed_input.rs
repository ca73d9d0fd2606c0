//! Malformed input never panics: wrong types, truncated JSON, invalid UTF-8 and huge nesting
//! give an `Err` for every payload type of the crate.

use std::fmt::Debug;

use botbuilder_schema::{
    Activity, AnimationCard, Attachment, AttachmentData, AttachmentInfo, AttachmentView, AudioCard,
    CardAction, CardImage, ChannelAccount, ConversationAccount, ConversationMembers,
    ConversationParameters, ConversationReference, ConversationResourceResponse,
    ConversationsResult, Entity, ErrorDetail, ErrorResponse, ExpectedReplies, Fact, HeroCard,
    InnerHttpError, InvokeResponse, MediaCard, MediaUrl, MessageReaction, OAuthCard,
    PagedMembersResult, ReceiptCard, ReceiptItem, ResourceResponse, SchemaError, SemanticAction,
    SigninCard, SuggestedActions, TextHighlight, ThumbnailCard, ThumbnailUrl, Timestamp,
    TokenExchangeResource, TokenPostResource, TokenResponse, Transcript, VideoCard,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Input that no payload type accepts.
fn malformed_for_every_type() -> Vec<Vec<u8>> {
    vec![
        b"".to_vec(),
        b"   ".to_vec(),
        b"{".to_vec(),
        b"{\"id\":".to_vec(),
        b"{\"id\": \"unterminated".to_vec(),
        b"{\"a\": 1,}".to_vec(),
        b"null".to_vec(),
        b"42".to_vec(),
        b"true".to_vec(),
        vec![0xff, 0xfe, 0x00],
        // Huge nesting, at the top and under a property that holds any JSON.
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)).into_bytes(),
        format!(
            r#"{{"body": {}1{}, "status": 200}}"#,
            "{\"b\":".repeat(10_000),
            "}".repeat(10_000)
        )
        .into_bytes(),
    ]
}

/// Checks that `T` rejects the common malformed inputs and its own wrong-type `cases`, both
/// from bytes and (for the wrong-type cases) from a `serde_json::Value`, as typed views read.
#[track_caller]
fn rejects<T: DeserializeOwned + Debug>(cases: &[&str]) {
    let name = std::any::type_name::<T>();
    for input in malformed_for_every_type() {
        let shown = String::from_utf8_lossy(&input[..input.len().min(40)]).into_owned();
        let result = serde_json::from_slice::<T>(&input);
        assert!(result.is_err(), "{name} accepted {shown:?}: {result:?}");
    }
    for case in cases {
        let result = serde_json::from_str::<T>(case);
        assert!(result.is_err(), "{name} accepted {case}: {result:?}");
        let value: Value = serde_json::from_str(case).expect("the wrong-type cases are JSON");
        let result = serde_json::from_value::<T>(value);
        assert!(
            result.is_err(),
            "{name} accepted {case} as a value: {result:?}"
        );
    }
}

#[test]
fn activity_and_its_parts() {
    rejects::<Activity>(&[
        "{}",
        r#"{"type": 5}"#,
        r#"{"type": "message", "from": "me"}"#,
        r#"{"type": "message", "attachments": [{"contentType": 1}]}"#,
        r#"{"type": "message", "entities": [{"type": 5}]}"#,
        r#"{"type": "message", "suggestedActions": {"actions": {}}}"#,
        r#"{"type": "message", "relatesTo": {"user": "x"}}"#,
        r#"{"type": "message", "reactionsAdded": [{"type": []}]}"#,
        r#"{"type": "message", "expiration": "next week"}"#,
        r#"{"type": "message", "semanticAction": {"state": 1}}"#,
    ]);
    rejects::<ConversationReference>(&[
        r#"{"user": "me"}"#,
        r#"{"channelId": 5}"#,
        r#"{"conversation": []}"#,
        r#"{"activityId": {}}"#,
    ]);
    rejects::<ChannelAccount>(&[r#"{"id": 5}"#, r#"{"role": {}}"#, r#"{"name": ["a"]}"#]);
    rejects::<ConversationAccount>(&[r#"{"isGroup": "yes"}"#, r#"{"tenantId": 1}"#]);
    rejects::<Attachment>(&[r#"{"contentType": 1}"#, r#"{"contentUrl": []}"#]);
    rejects::<CardAction>(&[r#"{"type": 3}"#, r#"{"title": {}}"#, r#"{"image": 1}"#]);
    rejects::<SuggestedActions>(&[
        r#"{"actions": {}}"#,
        r#"{"actions": ["x"]}"#,
        r#"{"to": "a"}"#,
    ]);
    rejects::<Entity>(&[r#"{"type": 1}"#, "[]"]);
    rejects::<MessageReaction>(&[r#"{"type": []}"#]);
    rejects::<TextHighlight>(&[r#"{"occurrence": "one"}"#, r#"{"text": 1}"#]);
    rejects::<SemanticAction>(&[r#"{"entities": []}"#, r#"{"id": 1}"#]);
    rejects::<Timestamp>(&[
        r#""2019-13-45T00:00:00Z""#,
        r#""yesterday""#,
        r#""2019-10-20""#,
        "{}",
    ]);
}

#[test]
fn cards() {
    rejects::<HeroCard>(&[
        r#"{"images": "https://example.com/a.png"}"#,
        r#"{"buttons": [1]}"#,
        r#"{"tap": "x"}"#,
        r#"{"images": [{"url": 1}]}"#,
    ]);
    rejects::<ThumbnailCard>(&[r#"{"title": 1}"#, r#"{"subtitle": []}"#]);
    rejects::<SigninCard>(&[r#"{"buttons": {}}"#, r#"{"text": false}"#]);
    rejects::<OAuthCard>(&[
        r#"{"connectionName": 1}"#,
        r#"{"tokenExchangeResource": "x"}"#,
        r#"{"tokenPostResource": {"sasUrl": 1}}"#,
    ]);
    rejects::<ReceiptCard>(&[
        r#"{"items": [{"title": 3}]}"#,
        r#"{"facts": [{"key": []}]}"#,
        r#"{"total": 12.5}"#,
    ]);
    rejects::<ReceiptItem>(&[r#"{"image": "x"}"#, r#"{"quantity": 2}"#]);
    rejects::<Fact>(&[r#"{"value": 1}"#, r#"{"key": null, "value": {}}"#]);
    rejects::<CardImage>(&[r#"{"url": 1}"#, r#"{"tap": []}"#]);
    rejects::<MediaUrl>(&[r#"{"profile": 1}"#]);
    rejects::<ThumbnailUrl>(&[r#"{"alt": 1}"#]);
    rejects::<TokenExchangeResource>(&[r#"{"id": 1}"#, r#"{"providerId": []}"#]);
    rejects::<TokenPostResource>(&[r#"{"sasUrl": 1}"#]);
    let media_cases = [
        r#"{"media": ["https://example.com/a.mp4"]}"#,
        r#"{"autostart": "yes"}"#,
        r#"{"image": 5}"#,
        r#"{"duration": 120}"#,
    ];
    rejects::<MediaCard>(&media_cases);
    rejects::<AnimationCard>(&media_cases);
    rejects::<AudioCard>(&media_cases);
    rejects::<VideoCard>(&media_cases);
}

#[test]
fn rest_payloads() {
    rejects::<ResourceResponse>(&[r#"{"id": 1}"#]);
    rejects::<ConversationParameters>(&[
        r#"{"members": {}}"#,
        r#"{"activity": {}}"#,
        r#"{"isGroup": "no"}"#,
    ]);
    rejects::<ConversationResourceResponse>(&[r#"{"id": []}"#]);
    rejects::<ConversationsResult>(&[r#"{"conversations": [{"members": "x"}]}"#]);
    rejects::<ConversationMembers>(&[r#"{"members": [1]}"#]);
    rejects::<PagedMembersResult>(&[r#"{"continuationToken": 1}"#]);
    rejects::<Transcript>(&[r#"{"activities": [{"text": "no type"}]}"#]);
    rejects::<ExpectedReplies>(&[r#"{"activities": {}}"#]);
    rejects::<AttachmentData>(&[r#"{"originalBase64": 1}"#, r#"{"type": {}}"#]);
    rejects::<AttachmentInfo>(&[r#"{"views": [{"size": -1}]}"#, r#"{"name": 1}"#]);
    rejects::<AttachmentView>(&[r#"{"size": "big"}"#, r#"{"size": 1.5}"#]);
    rejects::<ErrorResponse>(&[r#"{"error": "x"}"#]);
    rejects::<ErrorDetail>(&[r#"{"innerHttpError": {"statusCode": 70000}}"#]);
    rejects::<InnerHttpError>(&[r#"{"statusCode": "404"}"#]);
    rejects::<TokenResponse>(&[r#"{"expiration": "tomorrow"}"#, r#"{"token": 1}"#]);
    rejects::<InvokeResponse>(&["{}", r#"{"status": -1}"#, r#"{"status": "200"}"#]);
}

#[test]
fn errors_name_what_was_read_and_where() {
    let err = Activity::from_json(br#"{"type": "message", "attachments": [{"contentType": 1}]}"#)
        .unwrap_err();
    let SchemaError::Json { context, source } = &err else {
        panic!("expected a JSON error, got {err:?}");
    };
    assert_eq!(context, "reading an activity");
    assert_eq!(source.line(), 1);
    assert!(source.column() > 0);
    // `Display` says what was being read; the parser's error is the source, not repeated.
    assert_eq!(err.to_string(), "invalid JSON while reading an activity");
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some(source.to_string())
    );
}

#[test]
fn deep_but_reasonable_nesting_is_accepted() {
    // serde_json stops at 128 levels; real payloads (Adaptive Cards in channelData) stay far
    // below, and 100 levels under channelData still parse and round-trip.
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let body = format!(r#"{{"type": "message", "channelData": {deep}}}"#);
    let activity = Activity::from_json(body.as_bytes()).expect("100 levels parse");
    let back: Value = serde_json::from_slice(&activity.to_json().expect("writes")).expect("JSON");
    let expected: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(back, expected);
}

#[test]
fn invalid_utf8_in_strings_is_an_error() {
    fn rejects_bytes<T: DeserializeOwned + Debug>(input: &[u8]) {
        let result = serde_json::from_slice::<T>(input);
        assert!(
            result.is_err(),
            "{} accepted {}: {result:?}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(input)
        );
    }
    rejects_bytes::<Activity>(b"{\"type\": \"message\", \"text\": \"\xff\"}");
    // Under a property no type models: kept in `extra`, so decoded, so rejected.
    rejects_bytes::<Activity>(b"{\"type\": \"message\", \"x\": \"\xc3\x28\"}");
    rejects_bytes::<ChannelAccount>(b"{\"name\": \"\xff\"}");
    rejects_bytes::<HeroCard>(b"{\"title\": \"\xe2\x82\"}");
    rejects_bytes::<HeroCard>(b"{\"future\": [\"\xff\"]}");
    rejects_bytes::<TokenResponse>(b"{\"token\": \"\xff\"}");
    rejects_bytes::<InvokeResponse>(b"{\"status\": 200, \"body\": \"\xff\"}");
    rejects_bytes::<InnerHttpError>(b"{\"body\": {\"a\": \"\xff\"}}");

    // `InvokeResponse` and `InnerHttpError` keep no unknown properties, so serde_json skips an
    // unknown one without decoding it: bad bytes there are ignored, neither kept nor a panic.
    let skipped = serde_json::from_slice::<InvokeResponse>(b"{\"status\": 200, \"x\": \"\xff\"}");
    assert_eq!(skipped.ok().map(|r| r.status), Some(200));
}

#[test]
fn huge_nesting_under_unknown_properties() {
    let deep = format!(
        r#"{{"type": "message", "status": 200, "unknownProperty": {}1{}}}"#,
        "[".repeat(1_000_000),
        "]".repeat(1_000_000)
    );
    // Types that keep unknown properties in `extra` parse them, and stop at 128 levels.
    assert!(serde_json::from_str::<Activity>(&deep).is_err());
    assert!(serde_json::from_str::<ChannelAccount>(&deep).is_err());
    assert!(serde_json::from_str::<HeroCard>(&deep).is_err());
    assert!(serde_json::from_str::<ResourceResponse>(&deep).is_err());
    // `InvokeResponse` and `InnerHttpError` keep no unknown properties: serde_json skips the
    // value without recursing, so even a million levels cost no stack and are ignored.
    let skipped = serde_json::from_str::<InvokeResponse>(&deep);
    assert_eq!(skipped.ok().map(|r| r.status), Some(200));
    assert!(serde_json::from_str::<InnerHttpError>(&deep).is_ok());
}
