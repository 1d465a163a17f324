//! Sample codings of uncompressed audio (WAV and AIFF): integer PCM of
//! either byte order, float, and the G.711 telephony codings (μ-law,
//! A-law), encoded from the mixer's f32 so the output keeps the input's
//! own format. Samples decoded from a coding and encoded back come out
//! bit-exact, so the programme outside the disclaimer is unchanged.

/// How one sample is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// 8-bit unsigned, offset 128 (WAV's 8-bit).
    U8,
    /// 8-bit signed (AIFF's 8-bit).
    S8,
    /// Signed integer of 16, 24 or 32 bits.
    Int {
        /// Bits per sample.
        bits: u16,
        /// Big-endian (AIFF) rather than little-endian (WAV, AIFC `sowt`).
        big: bool,
    },
    /// IEEE float of 32 or 64 bits.
    Float {
        /// Bits per sample.
        bits: u16,
        /// Big-endian (AIFC `fl32`/`fl64`).
        big: bool,
    },
    /// G.711 μ-law, one byte a sample.
    MuLaw,
    /// G.711 A-law, one byte a sample.
    ALaw,
}

impl Coding {
    /// Bytes one sample takes.
    pub(crate) fn bytes(self) -> usize {
        match self {
            Coding::U8 | Coding::S8 | Coding::MuLaw | Coding::ALaw => 1,
            Coding::Int { bits, .. } | Coding::Float { bits, .. } => usize::from(bits / 8),
        }
    }
}

/// f32 to a `bits`-bit integer, rounding half away from zero and clamping.
/// Integer input decoded to f32 comes back bit-exact.
#[inline]
pub(crate) fn to_int(s: f32, bits: u16) -> i32 {
    if bits <= 24 {
        // Exact in f32: the scale is a power of two and |v| < 2^24.
        let scale = (1i32 << (bits - 1)) as f32;
        let v = s * scale;
        // `as` truncates toward zero and saturates (NaN gives 0).
        let r = (v + 0.5f32.copysign(v)) as i32;
        return r.clamp(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
    }
    let scale = (1i64 << (bits - 1)) as f64;
    let v = f64::from(s) * scale;
    let r = (v + 0.5f64.copysign(v)) as i64;
    r.clamp(-(scale as i64), scale as i64 - 1) as i32
}

/// The first segment whose end is at or above `v` (G.711's segment search).
fn segment(v: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&end| v <= end).unwrap_or(8)
}

/// 16-bit linear to G.711 μ-law (the ITU reference encoder, as in Sun's
/// g711.c): the exact inverse of the standard decoder on its own outputs.
pub(crate) fn mulaw(pcm: i16) -> u8 {
    const ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    let mut v = i32::from(pcm) >> 2;
    let mask = if v < 0 {
        v = -v;
        0x7F
    } else {
        0xFF
    };
    let v = v.min(8159) + (0x84 >> 2);
    let seg = segment(v, &ENDS);
    let code = if seg >= 8 {
        0x7F
    } else {
        ((seg as i32) << 4) | ((v >> (seg + 1)) & 0xF)
    };
    (code ^ mask) as u8
}

/// 16-bit linear to G.711 A-law (the ITU reference encoder).
pub(crate) fn alaw(pcm: i16) -> u8 {
    const ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut v = i32::from(pcm) >> 3;
    let mask = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = segment(v, &ENDS);
    let code = if seg >= 8 {
        0x7F
    } else if seg < 2 {
        ((seg as i32) << 4) | ((v >> 1) & 0xF)
    } else {
        ((seg as i32) << 4) | ((v >> seg) & 0xF)
    };
    (code ^ mask) as u8
}

/// Appends the bytes of `samples` in `coding`.
pub(crate) fn encode(samples: &[f32], coding: Coding, out: &mut Vec<u8>) {
    out.reserve(samples.len() * coding.bytes());
    match coding {
        Coding::U8 => out.extend(samples.iter().map(|&s| (to_int(s, 8) + 128) as u8)),
        Coding::S8 => out.extend(samples.iter().map(|&s| to_int(s, 8) as i8 as u8)),
        Coding::MuLaw => out.extend(samples.iter().map(|&s| mulaw(to_int(s, 16) as i16))),
        Coding::ALaw => out.extend(samples.iter().map(|&s| alaw(to_int(s, 16) as i16))),
        Coding::Int { bits, big } => {
            let n = usize::from(bits / 8);
            for &s in samples {
                let v = to_int(s, bits).to_le_bytes();
                if big {
                    out.extend(v[..n].iter().rev());
                } else {
                    out.extend_from_slice(&v[..n]);
                }
            }
        }
        Coding::Float { bits: 64, big } => {
            for &s in samples {
                let v = f64::from(s);
                out.extend_from_slice(&if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                });
            }
        }
        Coding::Float { big, .. } => {
            for &s in samples {
                out.extend_from_slice(&if big {
                    s.to_be_bytes()
                } else {
                    s.to_le_bytes()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The G.711 reference decoders (Sun's g711.c), which symphonia's match.
    fn ulaw_to_linear(u: u8) -> i16 {
        let u = !u;
        let t = ((i32::from(u & 0xF) << 3) + 0x84) << ((u & 0x70) >> 4);
        (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
    }

    fn alaw_to_linear(a: u8) -> i16 {
        let a = a ^ 0x55;
        let mut t = i32::from(a & 0xF) << 4;
        let seg = (a & 0x70) >> 4;
        match seg {
            0 => t += 8,
            1 => t += 0x108,
            _ => t = (t + 0x108) << (seg - 1),
        }
        (if a & 0x80 != 0 { t } else { -t }) as i16
    }

    #[test]
    fn g711_codes_round_trip() {
        for code in 0..=255u8 {
            let back = mulaw(ulaw_to_linear(code));
            // μ-law has two zeros (0x7F and 0xFF); the encoder picks +0.
            if code != 0x7F {
                assert_eq!(back, code, "μ-law {code:#x}");
            }
            assert_eq!(alaw(alaw_to_linear(code)), code, "A-law {code:#x}");
        }
        assert_eq!(mulaw(i16::MAX), 0x80);
        assert_eq!(mulaw(i16::MIN), 0x00);
        assert_eq!(alaw(0), 0xD5);
    }

    #[test]
    fn integer_samples_round_trip() {
        for v in [-32768i32, -1, 0, 1, 12345, 32767] {
            assert_eq!(to_int(v as f32 / 32768.0, 16), v);
        }
        for v in [-8_388_608i32, -3, 0, 5, 8_388_607] {
            assert_eq!(to_int(v as f32 / 8_388_608.0, 24), v);
        }
        assert_eq!(to_int(2.0, 16), 32767);
        assert_eq!(to_int(-2.0, 16), -32768);
        assert_eq!(to_int(f32::NAN, 16), 0);
        let mut b = Vec::new();
        encode(&[-1.0, 0.0], Coding::U8, &mut b);
        assert_eq!(b, vec![0, 128]);
        b.clear();
        encode(
            &[-1.0 / 8_388_608.0],
            Coding::Int {
                bits: 24,
                big: false,
            },
            &mut b,
        );
        assert_eq!(b, vec![0xff, 0xff, 0xff]);
        b.clear();
        encode(
            &[1.0 / 32768.0],
            Coding::Int {
                bits: 16,
                big: true,
            },
            &mut b,
        );
        assert_eq!(b, vec![0, 1]);
        b.clear();
        encode(&[-1.0], Coding::S8, &mut b);
        assert_eq!(b, vec![0x80]);
    }
}
