//! Helpers shared by the dialog tests.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use botbuilder_dialogs::testing::DialogTestClient;
use botbuilder_dialogs::{ComponentDialog, Dialog, PromptOptions, WaterfallDialog};
use serde_json::Value;

/// A directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "botbuilder-dialogs-{name}-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos_now()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// The time in nanoseconds, so that directories of earlier runs are never reused.
fn nanos_now() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
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
        .step(async move |mut step| step.begin_dialog("p", Some(options)).await)
        .step(async move |mut step| {
            let result = step.result().cloned().unwrap_or(Value::Null);
            step.context()
                .send_activity(format!("result: {result}"))
                .await?;
            step.end_dialog(Some(result)).await
        });
    ComponentDialog::new("main")
        .with_dialog(steps)
        .with_dialog(prompt)
}
