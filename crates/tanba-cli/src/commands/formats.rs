//! `tanba formats`: what this build supports.

use std::process::ExitCode;

use tanba::{Result, Settings};

use crate::{Linked, hand_off};

pub(crate) fn formats(json: bool, linked: Linked) -> Result<ExitCode> {
    if let Some(fuller) = linked.fuller {
        return hand_off(fuller);
    }
    let registry = (linked.registry)(&Settings::default());
    let formats = registry.formats();
    if json {
        let rows: Vec<_> = formats
            .iter()
            .map(|(labeler, f)| serde_json::json!({ "labeler": labeler, "format": f.name, "mime": f.mime, "extensions": f.extensions }))
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        outln!(
            "{:<8} {:<10} {:<24} extensions",
            "labeler",
            "format",
            "MIME type"
        );
        for (labeler, f) in formats {
            outln!(
                "{labeler:<8} {:<10} {:<24} {}",
                f.name,
                f.mime,
                f.extensions.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
