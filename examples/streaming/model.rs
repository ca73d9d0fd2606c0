//! Where the answers come from: a local generator (no network, no key), or any
//! OpenAI-compatible chat completions endpoint streamed as server-sent events over reqwest.
//! Either way the bot gets a stream of text chunks; plugging in another model client means
//! producing such a stream.

use std::collections::VecDeque;
use std::time::Duration;

use botbuilder::prelude::*;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::{Value, json};

/// A document the bot can cite.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) title: &'static str,
    pub(crate) url: &'static str,
    pub(crate) text: &'static str,
}

/// The small library the assistant answers from.
pub(crate) const LIBRARY: &[Source] = &[
    Source {
        title: "Streaming responses",
        url: "https://github.com/botbuilder-rs/botbuilder-rs/blob/main/docs/streaming.md",
        text: "A streamed answer grows in one bubble: typing activities carry the text so far, \
               at most one a second in Teams, then one final message ends the stream.",
    },
    Source {
        title: "Proactive messages",
        url: "https://github.com/botbuilder-rs/botbuilder-rs/blob/main/docs/proactive.md",
        text: "A bot keeps a conversation reference and later continues the conversation, \
               for example to finish an answer that takes longer than the channel waits.",
    },
    Source {
        title: "State",
        url: "https://github.com/botbuilder-rs/botbuilder-rs/blob/main/docs/state.md",
        text: "Conversation and user state are kept in storage with eTags, so that no update \
               is lost when two turns write at once.",
    },
];

/// The sources that share a word with the question (all of them when none does).
pub(crate) fn sources_for(question: &str) -> Vec<Source> {
    let words: Vec<String> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 3)
        .map(str::to_lowercase)
        .collect();
    let found: Vec<Source> = LIBRARY
        .iter()
        .filter(|s| {
            let haystack = format!("{} {}", s.title, s.text).to_lowercase();
            words
                .iter()
                .any(|w| haystack.contains(w.trim_end_matches('s')))
        })
        .cloned()
        .collect();
    if found.is_empty() {
        LIBRARY.to_vec()
    } else {
        found
    }
}

/// A chunk of the answer, or why the answer broke off.
pub(crate) type Chunks = BoxStream<'static, Result<String, BoxError>>;

/// The model behind the assistant.
#[derive(Clone, Debug)]
pub(crate) enum Model {
    /// Writes its answer from the sources itself, word by word, at `pace` per word.
    Local { pace: Duration },
    /// An OpenAI-compatible chat completions endpoint (OpenAI, Azure OpenAI, a local model
    /// server such as Ollama or llama.cpp).
    OpenAi {
        http: reqwest::Client,
        /// Such as `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
        base_url: String,
        /// Sent as `Authorization: Bearer`; never logged.
        api_key: Option<String>,
        model: String,
    },
}

impl Model {
    /// `OPENAI_BASE_URL` (+ `OPENAI_API_KEY`, `OPENAI_MODEL`) when set, else the local one.
    pub(crate) fn from_settings(get: impl Fn(&str) -> Option<String>) -> Self {
        match get("OPENAI_BASE_URL") {
            Some(base_url) => Model::OpenAi {
                http: reqwest::Client::new(),
                base_url: base_url.trim_end_matches('/').to_owned(),
                api_key: get("OPENAI_API_KEY"),
                model: get("OPENAI_MODEL").unwrap_or_else(|| "gpt-4o-mini".to_owned()),
            },
            None => Model::Local {
                pace: Duration::from_millis(150),
            },
        }
    }

    /// What the start banner says about it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Model::Local { .. } => "local generator (set OPENAI_BASE_URL for a real model)".into(),
            Model::OpenAi {
                base_url, model, ..
            } => format!("{model} at {base_url}"),
        }
    }

    /// Starts answering `question` from `sources` (cited as `[1]`, `[2]`, ... in their order).
    pub(crate) async fn answer(
        &self,
        question: &str,
        sources: &[Source],
    ) -> Result<Chunks, BoxError> {
        match self {
            Model::Local { pace } => Ok(local_answer(question, sources, *pace)),
            Model::OpenAi {
                http,
                base_url,
                api_key,
                model,
            } => {
                let numbered: Vec<String> = sources
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("[{}] {}: {}", i + 1, s.title, s.text))
                    .collect();
                let body = json!({
                    "model": model,
                    "stream": true,
                    "messages": [
                        {"role": "system", "content": format!(
                            "Answer in two or three sentences from these sources only, citing them as [1], [2]:\n{}",
                            numbered.join("\n"))},
                        {"role": "user", "content": question},
                    ],
                });
                let mut request = http
                    .post(format!("{base_url}/chat/completions"))
                    .header("accept", "text/event-stream")
                    .json(&body);
                if let Some(key) = api_key {
                    request = request.bearer_auth(key);
                }
                let response = request.send().await?;
                let status = response.status();
                if !status.is_success() {
                    let text = response.text().await.unwrap_or_default();
                    let text: String = text.chars().take(300).collect();
                    return Err(format!("the model endpoint answered {status}: {text}").into());
                }
                Ok(completion_chunks(response))
            }
        }
    }
}

/// The local answer: a sentence per source, each citing it, one word per `pace`.
fn local_answer(question: &str, sources: &[Source], pace: Duration) -> Chunks {
    let mut text = format!("Here is what I found about \"{}\". ", question.trim());
    for (i, source) in sources.iter().enumerate() {
        text.push_str(&format!(
            "{} [{}]. ",
            source.text.trim_end_matches('.'),
            i + 1
        ));
    }
    let words: Vec<String> = text
        .trim_end()
        .split_inclusive(' ')
        .map(str::to_owned)
        .collect();
    futures::stream::iter(words)
        .then(move |word| async move {
            tokio::time::sleep(pace).await;
            Ok(word)
        })
        .boxed()
}

/// The text deltas of a streamed chat completion: server-sent events whose `data` is a JSON
/// chunk (`choices[0].delta.content`), ended by `data: [DONE]`. A body that ends before
/// `[DONE]`, or breaks off, yields an error after the text that came.
fn completion_chunks(response: reqwest::Response) -> Chunks {
    struct Reader {
        response: reqwest::Response,
        events: SseLines,
        ready: VecDeque<String>,
        done: bool,
    }
    let reader = Reader {
        response,
        events: SseLines::default(),
        ready: VecDeque::new(),
        done: false,
    };
    futures::stream::unfold(reader, |mut r| async move {
        loop {
            if let Some(text) = r.ready.pop_front() {
                return Some((Ok(text), r));
            }
            if r.done {
                return None;
            }
            match r.response.chunk().await {
                Ok(Some(bytes)) => {
                    for data in r.events.push(&bytes) {
                        if data.trim() == "[DONE]" {
                            r.done = true;
                            break;
                        }
                        match delta_of(&data) {
                            Ok(Some(text)) => r.ready.push_back(text),
                            Ok(None) => {}
                            Err(e) => {
                                r.done = true;
                                return Some((Err(e), r));
                            }
                        }
                    }
                }
                Ok(None) => {
                    r.done = true;
                    return Some((Err("the model's stream ended before [DONE]".into()), r));
                }
                Err(e) => {
                    r.done = true;
                    let error: BoxError = format!("the model's stream broke off: {e}").into();
                    return Some((Err(error), r));
                }
            }
        }
    })
    .boxed()
}

/// The text of one chat completion chunk, if it has any.
fn delta_of(data: &str) -> Result<Option<String>, BoxError> {
    let chunk: Value = serde_json::from_str(data)
        .map_err(|e| format!("the model sent an event that is not a completion chunk: {e}"))?;
    if let Some(error) = chunk.get("error") {
        return Err(format!("the model reported an error: {error}").into());
    }
    Ok(chunk["choices"][0]["delta"]["content"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned))
}

/// The `data` of server-sent events, from bytes as they arrive (a line or a character may
/// be split across network chunks). Lines end with LF, CRLF or CR; `data:` lines of one event
/// are joined with LF; a blank line ends the event; comments (`:`) and other fields are
/// skipped. (Read by hand: a chat completion stream needs only `data` lines, and the
/// maintained SSE crates would add a parser-combinator dependency for these thirty lines.)
#[derive(Debug, Default)]
pub(crate) struct SseLines {
    buffer: Vec<u8>,
    data: Option<String>,
    /// The last byte seen was a CR, so an LF right after it ends no second line.
    after_cr: bool,
}

impl SseLines {
    /// Feeds bytes; returns the data of every event they complete.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &byte in bytes {
            if self.after_cr && byte == b'\n' {
                self.after_cr = false;
                continue;
            }
            self.after_cr = byte == b'\r';
            if byte == b'\n' || byte == b'\r' {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.buffer)).into_owned();
                self.line(&line, &mut events);
            } else {
                self.buffer.push(byte);
            }
        }
        events
    }

    fn line(&mut self, line: &str, events: &mut Vec<String>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                events.push(data);
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
    }
}
