//! The two passes a writer that cannot go back into its samples needs (an
//! encoder, and WAV in repeat mode): pass 1 measures the programme, so the
//! disclaimer's gain (and the manifest) is known before anything is
//! written; pass 2 decodes again and mixes.

use tanba_core::{Error, Result};

use crate::decode::StreamDecoder;
use crate::loudness::{BackgroundMeter, Loudness, matching_gain};
use crate::mixer::DisclaimerMixer;

/// What pass 1 found.
#[derive(Debug)]
pub(crate) struct Measured {
    /// Programme frames decoded.
    pub frames: u64,
    /// Coded bytes of the programme's packets, for the measured bitrate
    /// (the `ffmpeg` feature's encoders).
    #[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
    pub coded_bytes: u64,
    /// The programme's loudness (with its true peak when measured ducked).
    pub loudness: Loudness,
}

/// Pass 1: decodes the whole programme through the loudness meter. True
/// peak is measured only when `ducked` (the programme sounds under the
/// clip).
pub(crate) fn measure(mut decoder: StreamDecoder, ducked: bool) -> Result<Measured> {
    let info = decoder.info();
    let mut meter = BackgroundMeter::start(info.channels, info.sample_rate, ducked)?;
    while let Some(chunk) = decoder.next_chunk()? {
        meter.add(chunk)?;
    }
    Ok(Measured {
        frames: decoder.decoded_frames(),
        coded_bytes: decoder.packet_bytes(),
        loudness: meter.finish()?,
    })
}

/// Sets the disclaimer's gain to the programme's loudness, lowered so the
/// clip plus (when `ducked`) the ducked programme under it stays under the
/// true-peak ceiling, and tells the mixer the programme's length. Returns
/// the gain.
pub(crate) fn set_gain(
    mixer: &mut DisclaimerMixer,
    programme: &Loudness,
    programme_frames: u64,
    clip: &Loudness,
    ducked: bool,
) -> f32 {
    let under = if ducked {
        f64::from(mixer.duck_gain()) * programme.true_peak
    } else {
        0.0
    };
    let gain = matching_gain(programme.integrated_lufs, clip, under);
    mixer.set_gain(gain);
    mixer.set_programme_frames(programme_frames);
    gain
}

/// Pass 2: decodes the programme again through `mixer` into `write`, the
/// mixer's tail last, and checks it decoded to the `programme_frames` pass
/// 1 counted (the plan, and so the manifest, rests on that length).
pub(crate) fn mix(
    mut decoder: StreamDecoder,
    mixer: &mut DisclaimerMixer,
    programme_frames: u64,
    mut write: impl FnMut(&[f32]) -> Result<()>,
) -> Result<()> {
    let mut mixed = Vec::new();
    while let Some(chunk) = decoder.next_chunk()? {
        mixed.clear();
        mixer.process(chunk, &mut mixed);
        write(&mixed)?;
    }
    mixed.clear();
    mixer.finish(&mut mixed);
    write(&mixed)?;
    if decoder.decoded_frames() != programme_frames {
        return Err(Error::malformed(
            "the audio decoded differently on the second pass",
        ));
    }
    Ok(())
}
