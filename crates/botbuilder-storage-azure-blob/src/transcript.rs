//! [`BlobTranscriptStore`]: transcripts in Azure Blob Storage, in the layout of BotBuilder's
//! `BlobsTranscriptStore` (.NET).

use std::collections::HashMap;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::middleware::{
    PagedResult, TRANSCRIPT_PAGE_SIZE, TranscriptInfo, TranscriptStore,
};
use botbuilder_core::schema::{Activity, ActivityTypes, ChannelAccount, Timestamp};
use futures::future::join_all;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::{AzureBlobError, BlobStorage, Request};

/// What `Uri.EscapeDataString` keeps: the RFC 3986 unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// .NET ticks (100 ns) from 0001-01-01 to the Unix epoch.
const EPOCH_TICKS: i128 = 621_355_968_000_000_000;

/// How many blobs one List Blobs request asks for.
const LIST_PAGE: u32 = 1000;

/// Transcripts in an Azure Blob Storage container, one JSON blob per activity, laid out as
/// BotBuilder .NET's `BlobsTranscriptStore` (`Microsoft.Bot.Builder.Azure.Blobs`) lays them
/// out, so a bot moving from BotBuilder keeps reading its transcripts and BotBuilder reads
/// the ones this store writes.
///
/// - **Blob names**: `{channel}/{conversation}/{ticks}-{activity id}.json`, each part
///   escaped as `Uri.EscapeDataString` does (letters, digits and `-._~` kept, the rest
///   `%XX`), `ticks` the activity's timestamp in .NET ticks (100 ns since 0001-01-01) in
///   lowercase hexadecimal: names sort in time order.
/// - **Body**: the activity's JSON. **Metadata**: `Id`, `FromId`, `RecipientId`, and
///   `Timestamp` (ISO 8601, seven fractional digits). Values that are not printable ASCII
///   are left out of the metadata (a header cannot carry them); the blob name still finds
///   the activity.
/// - **Updates and deletes** (`messageUpdate` / `messageDelete`, as
///   [`TranscriptLoggerMiddleware`](botbuilder_core::middleware::TranscriptLoggerMiddleware)
///   logs them): the stored activity with that id is replaced in place, by the updated
///   activity (type `message`, the original timestamps) or by a tombstone (type
///   `messageDelete`, `from` and `recipient` ids `deleted`, the text gone). An update of an
///   activity not in the transcript is logged as a new message; a delete of one is ignored.
/// - **Pages** hold 20 items ([`TRANSCRIPT_PAGE_SIZE`]); the continuation token of a page of
///   activities is the last blob's name, of a page of transcripts the last conversation id,
///   as BotBuilder .NET issues them. Transcripts are listed in blob-name order.
///
/// Requests, authentication and retries are those of the [`BlobStorage`] it is made from.
///
/// ```no_run
/// use botbuilder_core::middleware::{TranscriptLoggerMiddleware, TranscriptStore};
/// use botbuilder_storage_azure_blob::{BlobStorage, BlobTranscriptStore};
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let storage = BlobStorage::builder()
///     .connection_string("UseDevelopmentStorage=true")?
///     .container("transcripts")
///     .connect()
///     .await?;
/// let transcripts = Arc::new(BlobTranscriptStore::new(storage));
/// let logger = TranscriptLoggerMiddleware::new(transcripts.clone());
/// # let _ = logger;
/// let page = transcripts.list_transcripts("msteams", None).await?;
/// for transcript in page.items {
///     println!("{} since {}", transcript.id, transcript.created);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BlobTranscriptStore {
    storage: BlobStorage,
}

impl BlobTranscriptStore {
    /// Keeps transcripts in the container of `storage` (a container of their own is best:
    /// bot state blobs in it are not transcripts, though they are never listed as such).
    #[must_use]
    pub fn new(storage: BlobStorage) -> Self {
        Self { storage }
    }

    /// Connects to the container an `azblob:` URL names (see the [crate docs](crate#urls)).
    ///
    /// # Errors
    /// As [`BlobStorage::connect_url`].
    pub async fn connect_url(url: &str) -> Result<Self, AzureBlobError> {
        BlobStorage::connect_url(url).await.map(Self::new)
    }

    /// The blob storage the transcripts are in.
    #[must_use]
    pub fn storage(&self) -> &BlobStorage {
        &self.storage
    }

    /// The name of the blob an activity is logged to.
    ///
    /// ```
    /// use botbuilder_core::schema::{Activity, ActivityTypes, ConversationAccount, Timestamp};
    /// use botbuilder_storage_azure_blob::BlobTranscriptStore;
    ///
    /// let mut activity = Activity::new(ActivityTypes::Message);
    /// activity.channel_id = Some("msteams".into());
    /// activity.conversation = Some(ConversationAccount::new("19:abc@thread.v2"));
    /// activity.id = Some("1700000000000".to_owned());
    /// activity.timestamp = Some(Timestamp::parse("2026-12-08T01:02:03.4567891Z")?);
    /// assert_eq!(
    ///     BlobTranscriptStore::blob_name(&activity)?,
    ///     "msteams/19%3Aabc%40thread.v2/8de54bdaf42dbb3-1700000000000.json"
    /// );
    /// # Ok::<(), botbuilder_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Storage`] when the activity has no timestamp, or one before the year 1.
    pub fn blob_name(activity: &Activity) -> Result<String, Error> {
        let timestamp = activity.timestamp.as_ref().ok_or_else(|| {
            Error::storage("naming a transcript blob", "the activity has no timestamp")
        })?;
        let ticks = ticks(timestamp).ok_or_else(|| {
            Error::storage(
                "naming a transcript blob",
                format!("the timestamp {timestamp} is before the year 1"),
            )
        })?;
        Ok(format!(
            "{}{ticks:x}-{}.json",
            conversation_prefix(
                channel_of(activity),
                activity.conversation_id().unwrap_or("")
            ),
            escape(activity.id.as_deref().unwrap_or(""))
        ))
    }

    /// The URL of a blob whose name has `/` separators.
    fn blob_url(&self, name: &str) -> url::Url {
        let mut url = self.storage.inner.container_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.extend(name.split('/'));
        }
        url
    }

    /// One List Blobs request.
    async fn list(
        &self,
        prefix: &str,
        hierarchical: bool,
        marker: Option<&str>,
        max_results: u32,
    ) -> Result<Listing, Error> {
        let mut url = self.storage.inner.container_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("restype", "container")
                .append_pair("comp", "list")
                .append_pair("prefix", prefix)
                .append_pair("include", "metadata")
                .append_pair("maxresults", &max_results.to_string());
            if hierarchical {
                query.append_pair("delimiter", "/");
            }
            if let Some(marker) = marker {
                query.append_pair("marker", marker);
            }
        }
        let response = self
            .storage
            .send("LIST blobs", Method::GET, url, Request::default())
            .await?;
        if response.status != StatusCode::OK {
            return Err(response.error("LIST blobs"));
        }
        parse_listing(&response.body)
    }

    /// Every blob under `prefix`, page by page, until `keep` says stop (returns `false`).
    async fn scan(
        &self,
        prefix: &str,
        mut keep: impl FnMut(ListedBlob) -> bool + Send,
    ) -> Result<(), Error> {
        let mut marker: Option<String> = None;
        loop {
            let listing = self
                .list(prefix, false, marker.as_deref(), LIST_PAGE)
                .await?;
            for entry in listing.blobs.entries {
                if let Entry::Blob(blob) = entry
                    && !keep(blob)
                {
                    return Ok(());
                }
            }
            match listing.next_marker.filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn get_activity(&self, name: &str) -> Result<Activity, Error> {
        let response = self
            .storage
            .send(
                "GET blob",
                Method::GET,
                self.blob_url(name),
                Request::default(),
            )
            .await?;
        if response.status != StatusCode::OK {
            return Err(response.error("GET blob"));
        }
        parse_activity(name, &response.body)
    }

    async fn put_activity(&self, name: &str, activity: &Activity, new: bool) -> Result<(), Error> {
        let body = serde_json::to_vec(activity)
            .map_err(|e| Error::storage("serializing a transcript activity", e))?;
        let request = Request {
            body,
            content_type: Some("application/json"),
            if_none_match: new.then(|| "*".to_owned()),
            blob_type: true,
            metadata: metadata(activity),
            ..Request::default()
        };
        let response = self
            .storage
            .send("PUT blob", Method::PUT, self.blob_url(name), request)
            .await?;
        match response.status {
            StatusCode::CREATED => Ok(()),
            StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED if new => {
                Err(Error::StorageConflict {
                    key: name.to_owned(),
                })
            }
            _ => Err(response.error("PUT blob")),
        }
    }

    /// The blob of the conversation's activity with this id, and the activity.
    async fn find(&self, activity: &Activity) -> Result<Option<(String, Activity)>, Error> {
        let Some(id) = activity.id.as_deref().filter(|id| !id.is_empty()) else {
            return Ok(None);
        };
        let prefix = conversation_prefix(
            channel_of(activity),
            activity.conversation_id().unwrap_or(""),
        );
        let suffix = format!("-{}.json", escape(id));
        let mut found = None;
        self.scan(&prefix, |blob| {
            let by_metadata = blob.meta("id") == Some(id);
            if by_metadata || blob.name.ends_with(&suffix) {
                found = Some(blob.name);
                return false;
            }
            true
        })
        .await?;
        match found {
            Some(name) => {
                let stored = self.get_activity(&name).await?;
                Ok(Some((name, stored)))
            }
            None => Ok(None),
        }
    }
}

#[async_trait]
impl TranscriptStore for BlobTranscriptStore {
    async fn log_activity(&self, activity: &Activity) -> Result<(), Error> {
        let mut activity = activity.clone();
        if activity.timestamp.is_none() {
            activity.timestamp = Some(Timestamp::now());
        }
        match activity.activity_type {
            ActivityTypes::MessageUpdate => {
                activity.activity_type = ActivityTypes::Message;
                match self.find(&activity).await? {
                    Some((name, stored)) => {
                        activity.timestamp = stored.timestamp;
                        activity.local_timestamp = stored.local_timestamp;
                        self.put_activity(&name, &activity, false).await
                    }
                    None => {
                        let name = Self::blob_name(&activity)?;
                        self.put_activity(&name, &activity, true).await
                    }
                }
            }
            ActivityTypes::MessageDelete => match self.find(&activity).await? {
                Some((name, stored)) => {
                    let tombstone = tombstone(stored);
                    self.put_activity(&name, &tombstone, false).await
                }
                None => {
                    tracing::debug!("a deleted activity is not in the transcript");
                    Ok(())
                }
            },
            _ => {
                let name = Self::blob_name(&activity)?;
                self.put_activity(&name, &activity, true).await
            }
        }
    }

    async fn get_transcript_activities(
        &self,
        channel_id: &str,
        conversation_id: &str,
        continuation_token: Option<&str>,
        start_date: Option<&Timestamp>,
    ) -> Result<PagedResult<Activity>, Error> {
        let prefix = conversation_prefix(channel_id, conversation_id);
        let after = match continuation_token.filter(|t| !t.is_empty()) {
            Some(token) if token.starts_with(&prefix) && token.ends_with(".json") => {
                Some(token.to_owned())
            }
            Some(token) => return Err(invalid_token(token)),
            None => None,
        };
        let from = start_date.map(Timestamp::to_utc);
        let mut names = Vec::new();
        self.scan(&prefix, |blob| {
            if after.as_ref().is_some_and(|after| blob.name <= *after) {
                return true;
            }
            // A blob without a readable Timestamp is kept: the filter is on what is known.
            let early = match (&from, blob.meta("timestamp").map(Timestamp::parse)) {
                (Some(from), Some(Ok(t))) => t.to_utc() < *from,
                _ => false,
            };
            if !early {
                names.push(blob.name);
            }
            names.len() <= TRANSCRIPT_PAGE_SIZE
        })
        .await?;
        let more = names.len() > TRANSCRIPT_PAGE_SIZE;
        names.truncate(TRANSCRIPT_PAGE_SIZE);
        let items = join_all(names.iter().map(|name| self.get_activity(name)))
            .await
            .into_iter()
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(PagedResult {
            items,
            continuation_token: if more { names.pop() } else { None },
        })
    }

    async fn list_transcripts(
        &self,
        channel_id: &str,
        continuation_token: Option<&str>,
    ) -> Result<PagedResult<TranscriptInfo>, Error> {
        let channel_prefix = format!("{}/", escape(channel_id));
        let after = continuation_token
            .filter(|t| !t.is_empty())
            .map(|t| conversation_prefix(channel_id, t));
        let mut prefixes = Vec::new();
        let mut marker: Option<String> = None;
        'pages: loop {
            let listing = self
                .list(&channel_prefix, true, marker.as_deref(), LIST_PAGE)
                .await?;
            for entry in listing.blobs.entries {
                let Entry::BlobPrefix(prefix) = entry else {
                    continue;
                };
                if after.as_ref().is_some_and(|after| prefix.name <= *after) {
                    continue;
                }
                prefixes.push(prefix.name);
                if prefixes.len() > TRANSCRIPT_PAGE_SIZE {
                    break 'pages;
                }
            }
            match listing.next_marker.filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        let more = prefixes.len() > TRANSCRIPT_PAGE_SIZE;
        prefixes.truncate(TRANSCRIPT_PAGE_SIZE);
        let channel_prefix = channel_prefix.as_str();
        let items = join_all(prefixes.iter().map(|prefix| async move {
            let id = prefix
                .strip_prefix(channel_prefix)
                .unwrap_or(prefix)
                .trim_end_matches('/');
            let id = percent_decode_str(id).decode_utf8_lossy().into_owned();
            let created = self.created(prefix).await?;
            Ok(TranscriptInfo {
                channel_id: channel_id.to_owned(),
                id,
                created,
            })
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()?;
        let continuation_token = more.then(|| items.last().map(|t| t.id.clone())).flatten();
        Ok(PagedResult {
            items,
            continuation_token,
        })
    }

    async fn delete_transcript(
        &self,
        channel_id: &str,
        conversation_id: &str,
    ) -> Result<(), Error> {
        let prefix = conversation_prefix(channel_id, conversation_id);
        // Listed again after each round of deletes, until nothing is left: a marker into a
        // listing whose blobs are going away is not relied on.
        loop {
            let listing = self.list(&prefix, false, None, LIST_PAGE).await?;
            let names: Vec<String> = listing
                .blobs
                .entries
                .into_iter()
                .filter_map(|entry| match entry {
                    Entry::Blob(blob) => Some(blob.name),
                    Entry::BlobPrefix(_) => None,
                })
                .collect();
            if names.is_empty() {
                return Ok(());
            }
            let results = join_all(names.iter().map(|name| async move {
                let response = self
                    .storage
                    .send(
                        "DELETE blob",
                        Method::DELETE,
                        self.blob_url(name),
                        Request::default(),
                    )
                    .await?;
                match response.status {
                    StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
                    _ => Err(response.error("DELETE blob")),
                }
            }))
            .await;
            results.into_iter().collect::<Result<Vec<()>, Error>>()?;
        }
    }
}

impl BlobTranscriptStore {
    /// When a conversation's transcript began: the `Timestamp` of its first blob, or the
    /// ticks in that blob's name.
    async fn created(&self, prefix: &str) -> Result<Timestamp, Error> {
        let listing = self.list(prefix, false, None, 1).await?;
        let first = listing
            .blobs
            .entries
            .into_iter()
            .find_map(|entry| match entry {
                Entry::Blob(blob) => Some(blob),
                Entry::BlobPrefix(_) => None,
            });
        let Some(first) = first else {
            return Ok(Timestamp::now());
        };
        if let Some(Ok(t)) = first.meta("timestamp").map(Timestamp::parse) {
            return Ok(t);
        }
        let name = first.name.rsplit('/').next().unwrap_or_default();
        Ok(name
            .split_once('-')
            .and_then(|(ticks, _)| from_ticks(ticks))
            .unwrap_or_else(Timestamp::now))
    }
}

/// The tombstone a deleted activity is replaced by: where and when it was, not what.
fn tombstone(stored: Activity) -> Activity {
    let mut tombstone = Activity::new(ActivityTypes::MessageDelete);
    tombstone.id = stored.id;
    let deleted = |role| {
        let mut account = ChannelAccount::new("deleted");
        account.role = role;
        account
    };
    tombstone.from = Some(deleted(stored.from.and_then(|a| a.role)));
    tombstone.recipient = Some(deleted(stored.recipient.and_then(|a| a.role)));
    tombstone.locale = stored.locale;
    tombstone.local_timestamp = stored.timestamp.clone();
    tombstone.timestamp = stored.timestamp;
    tombstone.channel_id = stored.channel_id;
    tombstone.conversation = stored.conversation;
    tombstone.service_url = stored.service_url;
    tombstone.reply_to_id = stored.reply_to_id;
    tombstone
}

fn channel_of(activity: &Activity) -> &str {
    activity.channel_id.as_ref().map_or("", |c| c.as_str())
}

/// `Uri.EscapeDataString`.
fn escape(part: &str) -> String {
    utf8_percent_encode(part, UNRESERVED).to_string()
}

fn conversation_prefix(channel_id: &str, conversation_id: &str) -> String {
    format!("{}/{}/", escape(channel_id), escape(conversation_id))
}

/// .NET ticks of a timestamp (100 ns since 0001-01-01 UTC).
fn ticks(timestamp: &Timestamp) -> Option<u64> {
    let utc = timestamp.to_utc();
    let ticks = i128::from(utc.timestamp()) * 10_000_000
        + i128::from(utc.timestamp_subsec_nanos() / 100)
        + EPOCH_TICKS;
    u64::try_from(ticks).ok()
}

/// The time of hexadecimal .NET ticks.
fn from_ticks(hex: &str) -> Option<Timestamp> {
    let ticks = i128::from(u64::from_str_radix(hex, 16).ok()?) - EPOCH_TICKS;
    let seconds = i64::try_from(ticks.div_euclid(10_000_000)).ok()?;
    let nanos = u32::try_from(ticks.rem_euclid(10_000_000) * 100).ok()?;
    chrono::DateTime::from_timestamp(seconds, nanos).map(Timestamp::from)
}

/// The blob metadata BotBuilder writes with an activity, values that are not printable ASCII
/// left out.
fn metadata(activity: &Activity) -> Vec<(&'static str, String)> {
    let timestamp = activity.timestamp.as_ref().map(|t| {
        t.to_datetime()
            .format("%Y-%m-%dT%H:%M:%S%.7f%:z")
            .to_string()
    });
    [
        ("x-ms-meta-id", activity.id.clone()),
        (
            "x-ms-meta-fromid",
            activity.from.as_ref().map(|a| a.id.clone()),
        ),
        (
            "x-ms-meta-recipientid",
            activity.recipient.as_ref().map(|a| a.id.clone()),
        ),
        ("x-ms-meta-timestamp", timestamp),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        let value = value?;
        (!value.is_empty() && value.bytes().all(|b| (b' '..=b'~').contains(&b)))
            .then_some((name, value))
    })
    .collect()
}

fn parse_activity(name: &str, body: &[u8]) -> Result<Activity, Error> {
    let invalid = |reason: String| Error::InvalidDocument {
        key: name.to_owned(),
        reason,
    };
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    serde_json::from_slice(body).map_err(|e| invalid(format!("not an activity: {e}")))
}

fn invalid_token(token: &str) -> Error {
    Error::storage(
        "reading a transcript",
        AzureBlobError::InvalidToken {
            token: token.to_owned(),
        },
    )
}

/// A List Blobs answer (`EnumerationResults`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listing {
    #[serde(default)]
    blobs: Blobs,
    #[serde(default)]
    next_marker: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Blobs {
    #[serde(rename = "$value", default)]
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
enum Entry {
    Blob(ListedBlob),
    BlobPrefix(ListedPrefix),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedBlob {
    name: String,
    #[serde(default)]
    metadata: HashMap<String, String>,
}

impl ListedBlob {
    /// A metadata value, its name matched without regard to case (the service keeps the
    /// case a writer used: BotBuilder's `FromId`, our `fromid`).
    fn meta(&self, name: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedPrefix {
    name: String,
}

fn parse_listing(body: &[u8]) -> Result<Listing, Error> {
    let invalid = |reason: String| {
        Error::storage(
            "listing azure blobs",
            AzureBlobError::InvalidListing { reason },
        )
    };
    let text = std::str::from_utf8(body).map_err(|_| invalid("not UTF-8".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    quick_xml::de::from_str(text).map_err(|e| invalid(e.to_string()))
}
