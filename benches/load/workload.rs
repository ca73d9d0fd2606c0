//! The request mix every mode is driven with: a realistic Web Chat message activity, a
//! different conversation id on every request, users from a small pool per connection (so
//! user state is read back and updated, and no two requests in flight share a user).

use bytes::Bytes;

/// The incoming activity, as Web Chat (Direct Line) sends it. `{CONV}`, `{USER}` and
/// `{SERVICE}` are filled in per request / per run.
const TEMPLATE: &str = r#"{"type":"message","id":"{CONV}|0000001","timestamp":"2026-01-15T10:21:33.456Z","localTimestamp":"2026-01-15T11:21:33.456+01:00","localTimezone":"Europe/Paris","serviceUrl":"{SERVICE}","channelId":"webchat","from":{"id":"{USER}","name":"Ada Lovelace","role":"user"},"conversation":{"id":"{CONV}"},"recipient":{"id":"11111111-2222-3333-4444-555555555555","name":"Echo Bot","role":"bot"},"textFormat":"plain","locale":"en-US","text":"What time does the store open tomorrow?","entities":[{"type":"ClientCapabilities","requiresBotState":true,"supportsListening":true,"supportsTts":true}],"channelData":{"clientActivityID":"1736936493456abcdef","clientTimestamp":"2026-01-15T10:21:33.450Z"}}"#;

/// The text the bot receives; the echo bot answers `Echo: ` + this.
pub const TEXT: &str = "What time does the store open tomorrow?";

/// Users per connection (Rust generator) or per wrk thread (`USERS_PER_THREAD`).
pub const USERS_PER_CONNECTION: u64 = 32;
/// Users per wrk thread: a wrk thread has many connections, and a user is reused only
/// after this many requests of the thread, long after the previous one finished.
pub const USERS_PER_THREAD: u64 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Conversation,
    User,
}

/// The template with the service URL filled in, split at the per-request holes.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Literal text, then a hole, literal, hole, ... literal.
    literals: Vec<String>,
    holes: Vec<Piece>,
}

impl Workload {
    pub fn new(service_url: &str) -> Self {
        let text = TEMPLATE.replace("{SERVICE}", service_url);
        let mut literals = Vec::new();
        let mut holes = Vec::new();
        let mut rest = text.as_str();
        loop {
            let next = [("{CONV}", Piece::Conversation), ("{USER}", Piece::User)]
                .into_iter()
                .filter_map(|(marker, piece)| rest.find(marker).map(|at| (at, marker, piece)))
                .min_by_key(|(at, _, _)| *at);
            match next {
                Some((at, marker, piece)) => {
                    literals.push(rest[..at].to_owned());
                    holes.push(piece);
                    rest = &rest[at + marker.len()..];
                }
                None => {
                    literals.push(rest.to_owned());
                    break;
                }
            }
        }
        Self { literals, holes }
    }

    /// The body of request `k` of connection `connection` in round `round`.
    pub fn body(&self, round: u32, connection: usize, k: u64) -> Bytes {
        let conversation = format!("conv-{round}-{connection}-{k}");
        let user = format!("user-{connection}-{}", k % USERS_PER_CONNECTION);
        let mut body = String::with_capacity(self.len_hint() + 64);
        for (i, literal) in self.literals.iter().enumerate() {
            body.push_str(literal);
            match self.holes.get(i) {
                Some(Piece::Conversation) => body.push_str(&conversation),
                Some(Piece::User) => body.push_str(&user),
                None => {}
            }
        }
        Bytes::from(body)
    }

    /// Fails unless a body of this workload is the activity it should be.
    pub fn check(&self, service_url: &str) -> Result<(), String> {
        let body: serde_json::Value = serde_json::from_slice(&self.body(7, 3, 40))
            .map_err(|e| format!("the workload's body is not JSON: {e}"))?;
        let expect = [
            ("/conversation/id", "conv-7-3-40"),
            ("/from/id", "user-3-8"),
            ("/serviceUrl", service_url),
            ("/text", TEXT),
        ];
        for (pointer, value) in expect {
            if body.pointer(pointer).and_then(serde_json::Value::as_str) != Some(value) {
                return Err(format!("the workload's body has no {pointer} = {value:?}"));
            }
        }
        Ok(())
    }

    fn len_hint(&self) -> usize {
        self.literals.iter().map(String::len).sum()
    }

    /// A wrk Lua script sending this mix: the same template, a different conversation id per
    /// request, users from a pool per thread; `authorization` is sent on every request when set.
    pub fn wrk_script(&self, round: u32, authorization: Option<&str>) -> String {
        let mut pieces = Vec::new();
        for (i, literal) in self.literals.iter().enumerate() {
            pieces.push(format!("[==[{literal}]==]"));
            match self.holes.get(i) {
                Some(Piece::Conversation) => pieces.push("conv".to_owned()),
                Some(Piece::User) => pieces.push("user".to_owned()),
                None => {}
            }
        }
        let auth = authorization
            .map(|a| format!("wrk.headers[\"Authorization\"] = [==[{a}]==]\n"))
            .unwrap_or_default();
        format!(
            r#"-- Generated by benches/load: one message activity per request.
wrk.method = "POST"
wrk.path = "/api/messages"
wrk.headers["Content-Type"] = "application/json"
{auth}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
function request()
  n = n + 1
  local conv = "conv-{round}-t" .. tid .. "-" .. n
  local user = "user-t" .. tid .. "-" .. (n % {users})
  local body = {body}
  return wrk.format(nil, nil, nil, body)
end
"#,
            users = USERS_PER_THREAD,
            body = pieces.join(" .. "),
        )
    }
}
