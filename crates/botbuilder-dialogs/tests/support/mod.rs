//! Helpers shared by the dialog tests.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use botbuilder_core::storage::{ETags, Storage, StoreItems, document_with_e_tag, prepare_write};
use botbuilder_core::{Error, async_trait};
use botbuilder_dialogs::testing::DialogTestClient;
use botbuilder_dialogs::{ComponentDialog, Dialog, PromptOptions, WaterfallDialog};
use serde_json::{Map, Value, json};

/// A durable storage for tests: every document in one JSON file, rewritten (to a temporary
/// file, then renamed) on each change. A new instance over the same file is a restarted bot.
#[derive(Clone)]
pub struct JsonFileStorage {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl JsonFileStorage {
    pub fn open(path: impl Into<PathBuf>) -> Self {
        JsonFileStorage {
            path: path.into(),
            lock: Arc::new(Mutex::new(())),
        }
    }

    fn load(&self) -> Map<String, Value> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).expect("the store file is JSON"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => panic!("reading {}: {e}", self.path.display()),
        }
    }

    fn save(&self, documents: &Map<String, Value>) -> Result<(), Error> {
        let tmp = self.path.with_extension("tmp");
        let text =
            serde_json::to_string_pretty(documents).map_err(|e| Error::storage("encoding", e))?;
        std::fs::write(&tmp, text).map_err(|e| Error::storage("writing", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| Error::storage("renaming", e))
    }
}

fn new_e_tag() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[async_trait]
impl Storage for JsonFileStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        let _guard = self.lock.lock().unwrap();
        let documents = self.load();
        Ok(keys
            .iter()
            .filter_map(|key| {
                let stored = documents.get(*key)?;
                let body = stored["body"].as_object()?.clone();
                let e_tag = stored["eTag"].as_str()?.to_owned();
                Some(((*key).to_owned(), document_with_e_tag(body, e_tag)))
            })
            .collect())
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        let prepared = changes
            .into_iter()
            .map(|(key, document)| prepare_write(&key, document).map(|p| (key, p)))
            .collect::<Result<Vec<_>, Error>>()?;
        let _guard = self.lock.lock().unwrap();
        let mut documents = self.load();
        for (key, (_, condition)) in &prepared {
            let stored = documents.get(key).and_then(|d| d["eTag"].as_str());
            if !condition.allows(stored) {
                return Err(Error::StorageConflict { key: key.clone() });
            }
        }
        let mut e_tags = ETags::new();
        for (key, (body, _)) in prepared {
            let e_tag = new_e_tag();
            documents.insert(key.clone(), json!({"eTag": e_tag, "body": body}));
            e_tags.insert(key, e_tag);
        }
        self.save(&documents)?;
        Ok(e_tags)
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        let _guard = self.lock.lock().unwrap();
        let mut documents = self.load();
        for key in keys {
            documents.remove(*key);
        }
        self.save(&documents)
    }
}

/// A directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "botbuilder-dialogs-{name}-{}-{}",
            std::process::id(),
            new_e_tag()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client running a one-question waterfall: step 1 begins the dialog `p` (the prompt
/// under test) with `options`; step 2 replies `result: <JSON of the result>` and ends with it.
pub fn ask(prompt: impl Dialog + 'static, options: PromptOptions) -> DialogTestClient {
    DialogTestClient::new(ask_dialog(prompt, options))
}

pub fn ask_dialog(prompt: impl Dialog + 'static, options: PromptOptions) -> ComponentDialog {
    let options = serde_json::to_value(options).unwrap();
    let steps = WaterfallDialog::new("ask")
        .step(move |mut step| {
            let options = options.clone();
            Box::pin(async move { step.begin_dialog("p", Some(options)).await })
        })
        .step(|mut step| {
            Box::pin(async move {
                let result = step.result().cloned().unwrap_or(Value::Null);
                step.context()
                    .send_activity(format!("result: {result}"))
                    .await?;
                step.end_dialog(Some(result)).await
            })
        });
    ComponentDialog::new("main")
        .with_dialog(steps)
        .with_dialog(prompt)
}
