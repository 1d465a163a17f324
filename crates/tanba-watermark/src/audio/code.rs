//! The audio mark's error-correcting code: the 64-bit payload and its
//! CRC-32, zero-terminated, through a rate-1/3 convolutional code of
//! constraint length 9 (generators 557, 663, 711 octal, free distance 18,
//! the code of IS-95), decoded by a soft-decision Viterbi decoder.
//!
//! The 32-bit check is what keeps false positives out (see
//! docs/watermark.md, False positives): every decoded word that is not a
//! mark passes it with probability 2⁻³², whatever the audio, so the
//! detector can decode weak alignments a score threshold would have had
//! to refuse.

/// Payload bits plus CRC-32.
pub(crate) const INFO_BITS: usize = 96;
/// Constraint length: the encoder remembers the last `K - 1` bits.
const K: usize = 9;
/// Encoder states.
const STATES: usize = 1 << (K - 1);
/// Generator polynomials (octal 557, 663, 711), newest bit in the top.
const GENERATORS: [u32; 3] = [0o557, 0o663, 0o711];
/// Coded bits on the carrier: (96 + 8 tail) × 3.
pub(crate) const CODED: usize = (INFO_BITS + K - 1) * GENERATORS.len();

/// The encoder's three outputs for input `bit` in state `state` (the last
/// eight bits, newest in bit 7), as ±1.
fn outputs(state: usize, bit: usize) -> [f32; 3] {
    let reg = ((bit << (K - 1)) | state) as u32;
    GENERATORS.map(|g| {
        if (reg & g).count_ones() % 2 == 1 {
            1.0
        } else {
            -1.0
        }
    })
}

/// The state after input `bit` in state `state`.
fn next(state: usize, bit: usize) -> usize {
    (bit << (K - 2)) | (state >> 1)
}

/// CRC-32 (IEEE 802.3, reflected) of the payload's 8 bytes, big-endian.
fn crc32(payload: u64) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in payload.to_be_bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The 96 information bits (payload most significant first, then CRC).
fn info_bits(payload: u64) -> [usize; INFO_BITS] {
    let word = (u128::from(payload) << 32) | u128::from(crc32(payload));
    std::array::from_fn(|i| ((word >> (INFO_BITS - 1 - i)) & 1) as usize)
}

/// The coded bits of `payload` as ±1.
pub(crate) fn encode(payload: u64) -> [f32; CODED] {
    let mut out = [0.0; CODED];
    let mut state = 0;
    let bits = info_bits(payload);
    let tail = [0usize; K - 1];
    for (i, &bit) in bits.iter().chain(&tail).enumerate() {
        out[3 * i..3 * i + 3].copy_from_slice(&outputs(state, bit));
        state = next(state, bit);
    }
    out
}

/// Paths the list decoder keeps per state: the best `LIST` codewords are
/// each checked against the CRC-32 (each wrong one passes with
/// probability 2⁻³², so the false-positive bound grows by this factor).
pub(crate) const LIST: usize = 32;

/// The payload of the best-matching codeword (of the [`LIST`] best) whose
/// CRC holds, for `soft` (positive: +1 likely).
pub(crate) fn decode(soft: &[f32; CODED]) -> Option<u64> {
    list_viterbi(soft, LIST)
        .into_iter()
        .find(|(_, crc_ok, _)| *crc_ok)
        .map(|(payload, _, _)| payload)
}

/// The best codeword's payload, whether its CRC holds, and its match
/// (the sum of soft bits times the codeword's ±1).
pub(crate) fn viterbi(soft: &[f32; CODED]) -> (u64, bool, f32) {
    list_viterbi(soft, 1)
        .into_iter()
        .next()
        .unwrap_or((0, false, f32::NEG_INFINITY))
}

/// A parallel list Viterbi decoder over the zero-terminated trellis: the
/// `list` best codewords (at most [`LIST`]), best first, each as (payload,
/// CRC holds, match).
fn list_viterbi(soft: &[f32; CODED], list: usize) -> Vec<(u64, bool, f32)> {
    const STEPS: usize = INFO_BITS + K - 1;
    let list = list.clamp(1, LIST);
    let mut metric = vec![[f32::NEG_INFINITY; LIST]; STATES];
    metric[0][0] = 0.0;
    // For each step, state and rank: the oldest register bit, lost in the
    // shift (it names the predecessor together with the state), and the
    // predecessor's rank.
    let mut back = vec![[[(0u8, 0u8); LIST]; STATES]; STEPS];
    let branch: Vec<[f32; 3]> = (0..STATES * 2).map(|i| outputs(i >> 1, i & 1)).collect();
    for (step, choice) in back.iter_mut().enumerate() {
        let s = &soft[3 * step..3 * step + 3];
        let mut new = vec![[f32::NEG_INFINITY; LIST]; STATES];
        for (to, slot) in new.iter_mut().enumerate() {
            let bit = to >> (K - 2);
            if step >= INFO_BITS && bit == 1 {
                continue;
            }
            // Each predecessor's list is sorted, best first, and a branch
            // adds the same to all of it: merge the two.
            let from = [(to << 1) & (STATES - 1), ((to << 1) & (STATES - 1)) | 1];
            let gain = from.map(|f| {
                let o = branch[f * 2 + bit];
                o[0] * s[0] + o[1] * s[1] + o[2] * s[2]
            });
            let (mut i, mut j) = (0usize, 0usize);
            for r in 0..list {
                let a = metric[from[0]]
                    .get(i)
                    .filter(|_| i < list)
                    .map_or(f32::NEG_INFINITY, |m| m + gain[0]);
                let b = metric[from[1]]
                    .get(j)
                    .filter(|_| j < list)
                    .map_or(f32::NEG_INFINITY, |m| m + gain[1]);
                if a == f32::NEG_INFINITY && b == f32::NEG_INFINITY {
                    break;
                }
                if a >= b {
                    slot[r] = a;
                    choice[to][r] = (0, i as u8);
                    i += 1;
                } else {
                    slot[r] = b;
                    choice[to][r] = (1, j as u8);
                    j += 1;
                }
            }
        }
        metric = new;
    }
    (0..list)
        .take_while(|&r| metric[0][r] > f32::NEG_INFINITY)
        .map(|r| {
            let (mut state, mut rank) = (0usize, r);
            let mut word = 0u128;
            for step in (0..STEPS).rev() {
                if step < INFO_BITS {
                    word |= ((state >> (K - 2)) as u128) << (INFO_BITS - 1 - step);
                }
                let (lost, prev) = back[step][state][rank];
                state = ((state << 1) & (STATES - 1)) | usize::from(lost);
                rank = usize::from(prev);
            }
            let payload = (word >> 32) as u64;
            let crc_ok = crc32(payload) == (word & 0xFFFF_FFFF) as u32;
            (payload, crc_ok, metric[0][r])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: u64) -> impl FnMut() -> f32 {
        let mut s = seed | 1;
        move || {
            let mut g = 0.0;
            for _ in 0..4 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                g += (s >> 40) as f32 / (1u64 << 24) as f32;
            }
            (g - 2.0) * 1.732
        }
    }

    #[test]
    fn round_trips_and_corrects_what_raw_bits_cannot() {
        for payload in [0, 1, u64::MAX, 0x0123_4567_89AB_CDEF] {
            let clean = encode(payload);
            assert_eq!(decode(&clean), Some(payload));
            // A tenth of the coded bits flipped outright.
            let mut flipped = clean;
            (0..CODED)
                .step_by(10)
                .for_each(|i| flipped[i] = -flipped[i]);
            assert_eq!(decode(&flipped), Some(payload));
        }
        // At a per-bit z of 1.3 (about 10 % of raw decisions wrong) every
        // trial decodes.
        let mut g = noise(3);
        for trial in 0..50u64 {
            let payload = trial.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let soft = encode(payload).map(|b| 1.3 * b + g());
            assert_eq!(decode(&soft), Some(payload), "trial {trial}");
        }
    }

    #[test]
    fn the_list_decoder_reads_what_the_best_path_alone_misses() {
        // At a per-bit z of 0.75 the best path alone often fails its CRC;
        // the next codewords of the list hold the payload more often, and
        // never a wrong one.
        let mut g = noise(5);
        let (mut single, mut listed) = (0, 0);
        for trial in 0..200u64 {
            let payload = trial.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let soft = encode(payload).map(|b| 0.75 * b + g());
            let (p, ok, _) = viterbi(&soft);
            single += usize::from(ok && p == payload);
            if let Some(p) = decode(&soft) {
                assert_eq!(p, payload, "trial {trial}");
                listed += 1;
            }
        }
        assert!(
            listed > single + 5,
            "list {listed}, best path {single} of 200"
        );
    }

    #[test]
    fn noise_rarely_passes_the_crc() {
        let mut g = noise(11);
        let passed = (0..500)
            .filter(|_| decode(&std::array::from_fn(|_| g())).is_some())
            .count();
        assert_eq!(passed, 0, "{passed} of 500");
        // Degenerate inputs (silence, a constant bias, an alternation)
        // decode to no payload either.
        for soft in [
            [0.0; CODED],
            [1.0; CODED],
            [-1.0; CODED],
            std::array::from_fn(|i| if i % 2 == 0 { 1.0 } else { -1.0 }),
        ] {
            assert_eq!(decode(&soft), None);
        }
        // The IEEE CRC-32 (zlib's) of the bytes "12345678".
        assert_eq!(crc32(u64::from_be_bytes(*b"12345678")), 0x9AE0_DAAF);
    }
}
