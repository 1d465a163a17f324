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
    /// The manifest for an output whose first disclaimer is `first_span`.
    pub(crate) fn manifest(
        &self,
        job: &Job,
        format: &Format,
        first_span: Span,
        sample_rate: u32,
    ) -> Manifest {
        let mut job = job.clone();
        if let Some(lines) = self.disclaimer.for_job(&job).manifest_lines(&job.label) {
            job.label.lines = lines;
        }
        let rate = f64::from(sample_rate);
        let mut placement = Placement::at(self.mode.name());
        placement.span = Some([
            first_span.start as f64 / rate,
            first_span.frames as f64 / rate,
        ]);
        job.manifest(format.mime, placement)
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
