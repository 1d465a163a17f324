//! The imperceptible watermark in the programme (tanba-watermark's audio
//! mark): the marker the labelling pass runs every decoded chunk through,
//! before the disclaimer is mixed in, so the programme carries the mark and
//! the spoken disclaimer does not; and the reads of it back, from a window
//! of decoded programme.

use tanba_core::{Error, Manifest, Result, WatermarkFound, WatermarkKey};
use tanba_watermark::{AudioMarker, Key, detect_audio};

use crate::decode::StreamInfo;
use crate::verify::AudioChunks;

/// Seconds of programme the check of a fresh output reads the mark from
/// (the detector reads reliably from 20-30 s; docs/watermark.md).
pub(crate) const READBACK_SECS: u64 = 30;
/// Seconds from the start of a file without its manifest that are read for
/// the mark: a disclaimer in front (7-8 s for the default one) and about
/// the read-back window after it.
pub(crate) const BLIND_SECS: u64 = 40;

/// The marker for the programme `info` describes, with the payload of the
/// draft `manifest`, made with `key` (the job's). Audio that cannot carry
/// the mark (under 8 kHz) gets none, and its manifest no watermark record,
/// with a note saying why. The marker starts at the programme's first
/// frame: clone it for each labelling pass that writes.
pub(crate) fn marker(
    key: Option<WatermarkKey>,
    manifest: &mut Manifest,
    info: &StreamInfo,
    notes: &mut Vec<String>,
) -> Option<AudioMarker> {
    let (Some(key), Some(_), Some(payload)) = (
        key,
        manifest.watermark.as_ref(),
        manifest.watermark_payload(),
    ) else {
        manifest.watermark = None;
        return None;
    };
    match AudioMarker::new(
        info.sample_rate,
        info.channels,
        payload,
        Key::private(key.0),
    ) {
        Ok(marker) => {
            notes.push(format!(
                "watermark embedded in the programme (not the disclaimer): payload \
                 {payload:016x} ({} key)",
                key.kind()
            ));
            Some(marker)
        }
        Err(e) => {
            manifest.watermark = None;
            let why = match e {
                Error::CannotLabel { reason, .. } => reason,
                other => other.to_string(),
            };
            notes.push(format!("no watermark: {why}"));
            None
        }
    }
}

/// The mark made with `key` in `interleaved` (`channels` at `rate` Hz), if
/// it reads.
pub(crate) fn read(
    interleaved: &[f32],
    rate: u32,
    channels: usize,
    key: WatermarkKey,
) -> Option<WatermarkFound> {
    detect_audio(interleaved, rate, channels, Key::private(key.0)).map(|d| WatermarkFound {
        payload: d.payload,
        strength: d.sync_z,
        key: key.kind(),
    })
}

/// Hands the decoder's chunks on unchanged while keeping the mono downmix
/// of the frames in `[from, to)`: the programme window the mark is read
/// from, taken from a decode made for another reason (the disclaimer
/// check), which then reads on only as far as the window still needs.
pub(crate) struct Tap<'a> {
    inner: &'a mut dyn AudioChunks,
    from: u64,
    to: u64,
    at: u64,
    kept: Vec<f32>,
}

impl<'a> Tap<'a> {
    /// Keeps frames `from..to` of what `inner` decodes from here on.
    pub(crate) fn new(inner: &'a mut dyn AudioChunks, from: u64, to: u64) -> Self {
        Tap {
            inner,
            from,
            to,
            at: 0,
            kept: Vec::new(),
        }
    }

    /// Reads on to the end of the window (or of the stream) and gives the
    /// window's mono frames.
    pub(crate) fn finish(mut self) -> Result<Vec<f32>> {
        while self.at < self.to && self.next_chunk()?.is_some() {}
        Ok(self.kept)
    }
}

impl AudioChunks for Tap<'_> {
    fn rate(&self) -> u32 {
        self.inner.rate()
    }

    fn channels(&self) -> usize {
        self.inner.channels()
    }

    fn claimed_frames(&self) -> Option<u64> {
        self.inner.claimed_frames()
    }

    fn next_chunk(&mut self) -> Result<Option<&[f32]>> {
        let channels = self.inner.channels().max(1);
        let Some(chunk) = self.inner.next_chunk()? else {
            return Ok(None);
        };
        let n = (chunk.len() / channels) as u64;
        let (from, to) = (self.from.max(self.at), self.to.min(self.at + n));
        if from < to {
            let first = (from - self.at) as usize * channels;
            let last = (to - self.at) as usize * channels;
            self.kept.extend(
                chunk[first..last]
                    .chunks_exact(channels)
                    .map(|f| f.iter().sum::<f32>() / channels as f32),
            );
        }
        self.at += n;
        Ok(Some(chunk))
    }
}
