//! The stand-in for the protected API: Microsoft Graph's `/me` fields for a test token of the
//! local sign-in page, so that `me` has something to call with no Azure registration.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use botbuilder::directline::LocalSignIn;
use serde_json::json;

/// Where the stand-in profile API is served.
pub(crate) const STAND_IN_PATH: &str = "/stand-in/me";

/// `GET /stand-in/me`, checking its bearer token with the local sign-in page.
pub(crate) fn router<S>(sign_in: LocalSignIn) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(STAND_IN_PATH, get(me))
        .with_state(sign_in)
}

/// The token's user as Graph's `/me` shows it; 401 for anything but a valid test token.
async fn me(State(sign_in): State<LocalSignIn>, headers: HeaderMap) -> Response {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.and_then(|t| sign_in.verify(t.trim())) {
        Some(user) => Json(json!({ "id": user.id, "displayName": user.name })).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": { "code": "InvalidAuthenticationToken" } })),
        )
            .into_response(),
    }
}
