//! The labeler's settings, and the manifest they describe.

use tanba_core::{Format, Job, Manifest, Placement, Result};

use crate::disclaimer::Disclaimer;
use crate::mixer::{self, Mode, Span};

/// The audio settings the CLI and configuration map onto.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSettings {
    /// What is heard (default: the job label's languages spoken, kk then ru).
    pub disclaimer: Disclaimer,
    /// Where it goes (default: prepend).
    pub mode: Mode,
    /// How far the programme is lowered under an overlaid disclaimer, dB
    /// (default -12).
    pub ducking_db: f32,
    /// Silence between the disclaimer and the programme in prepend and
    /// append modes, ms (default 500).
    pub gap_ms: u32,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            disclaimer: Disclaimer::default(),
            mode: Mode::default(),
            ducking_db: mixer::DEFAULT_DUCK_DB,
            gap_ms: mixer::DEFAULT_GAP_MS,
        }
    }
}

impl AudioSettings {
    /// The manifest begun before any sample is written, so its id (and the
    /// watermark payload it gives) is known while the programme streams:
    /// the disclaimer's lines, the job's watermark key, unsigned. Its place
    /// is recorded by [`AudioSettings::finish_manifest`] once the mixer has
    /// put the disclaimer.
    pub(crate) fn draft_manifest(&self, job: &Job, format: &Format) -> Manifest {
        let mut job = job.clone();
        if let Some(lines) = self.disclaimer.for_job(&job).manifest_lines(&job.label) {
            job.label.lines = lines;
        }
        job.signing_key = None;
        let placement = Placement::at(self.mode.name());
        job.manifest_with_watermark(format.mime, placement, None, job.watermark)
    }

    /// The draft, for the output written as `format`, with its first
    /// disclaimer at `first_span`, signed when the job has a key.
    pub(crate) fn finish_manifest(
        &self,
        mut manifest: Manifest,
        job: &Job,
        format: &Format,
        first_span: Span,
        sample_rate: u32,
    ) -> Manifest {
        let rate = f64::from(sample_rate);
        let mut placement = Placement::at(self.mode.name());
        placement.span = Some([
            first_span.start as f64 / rate,
            first_span.frames as f64 / rate,
        ]);
        manifest.label.placement = placement;
        manifest.media_type = format.mime.to_string();
        if let Some(key) = &job.signing_key {
            manifest.sign(key);
        }
        manifest
    }
}

/// The XMP packet for `manifest`: the input's own packet with our
/// properties replaced when it had one, else a new one.
pub(crate) fn xmp_packet(existing: Option<&str>, manifest: &Manifest) -> Result<String> {
    match existing {
        Some(packet) if tanba_core::xmp::find_packet(packet.as_bytes()).is_some() => {
            tanba_core::xmp::merge(packet, manifest)
        }
        _ => Ok(tanba_core::xmp::packet(manifest)),
    }
}
