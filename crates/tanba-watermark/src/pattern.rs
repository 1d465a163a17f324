//! The keyed tile: a sync pattern `u(x)·v(y)` (separable, so the detector
//! finds the tile's offset cheaply) and, for every cell, the coded bit it
//! carries and that bit's pseudo-random sign.

/// Side of the square tile, in working-grid cells.
pub(crate) const TILE: usize = 32;
/// Payload bits plus CRC-16.
pub(crate) const CODED_BITS: usize = 80;

/// The pattern derived from one key.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// Sync signs along x.
    pub u: [f32; TILE],
    /// Sync signs along y.
    pub v: [f32; TILE],
    /// For each cell (row-major in the tile): which coded bit, and its sign.
    pub cells: Vec<(usize, f32)>,
}

/// splitmix64: small, fast and good enough to derive signs from a key.
#[derive(Debug)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn sign(&mut self) -> f32 {
        if self.next() & 1 == 1 { 1.0 } else { -1.0 }
    }
}

impl Pattern {
    /// The pattern of `key`.
    pub fn new(key: u64) -> Pattern {
        let mut rng = SplitMix(key ^ 0x7461_6E62_615F_776D);
        let mut u = [0.0; TILE];
        let mut v = [0.0; TILE];
        u.iter_mut().for_each(|s| *s = rng.sign());
        v.iter_mut().for_each(|s| *s = rng.sign());
        // A keyed shuffle of the cells, dealt to the bits in turn, so each
        // bit is spread over the whole tile (a local defect costs every bit
        // a little rather than one bit everything).
        let mut order: Vec<usize> = (0..TILE * TILE).collect();
        for i in (1..order.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let mut cells = vec![(0, 0.0); TILE * TILE];
        for (k, &cell) in order.iter().enumerate() {
            cells[cell] = (k % CODED_BITS, rng.sign());
        }
        Pattern { u, v, cells }
    }
}

/// CRC-16/CCITT-FALSE of the payload's eight bytes.
pub(crate) fn crc16(payload: u64) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in payload.to_be_bytes() {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The 80 coded bits as +1/-1: payload (most significant first) then CRC.
pub(crate) fn encode(payload: u64) -> [f32; CODED_BITS] {
    let word = (u128::from(payload) << 16) | u128::from(crc16(payload));
    let mut bits = [0.0; CODED_BITS];
    for (i, b) in bits.iter_mut().enumerate() {
        *b = if (word >> (CODED_BITS - 1 - i)) & 1 == 1 {
            1.0
        } else {
            -1.0
        };
    }
    bits
}

/// The payload of hard decisions on soft bits, if the CRC matches.
pub(crate) fn decode(soft: &[f32; CODED_BITS]) -> Option<u64> {
    let word = soft
        .iter()
        .fold(0u128, |w, s| (w << 1) | u128::from(*s > 0.0));
    let payload = (word >> 16) as u64;
    (crc16(payload) == (word & 0xFFFF) as u16).then_some(payload)
}

/// Least reliable bits a Chase decoder may flip.
pub(crate) const CHASE_BITS: usize = 16;

/// Like [`decode`], and when the CRC fails, tries flipping one, then two,
/// of the [`CHASE_BITS`] least reliable bits (smallest |soft|), up to
/// `max_flips` of them: a Chase-2 decoder, which corrects the few bits the
/// repetition left wrong. Each extra try is one more chance for a random
/// word to pass the CRC: 1 + 16 + 120 = 137 checks in all with two flips.
pub(crate) fn decode_chase(soft: &[f32; CODED_BITS], max_flips: usize) -> Option<u64> {
    if let Some(p) = decode(soft) {
        return Some(p);
    }
    let mut order: Vec<usize> = (0..CODED_BITS).collect();
    order.sort_by(|&a, &b| soft[a].abs().total_cmp(&soft[b].abs()));
    let weak = &order[..CHASE_BITS];
    let flipped = |idx: &[usize]| {
        let mut s = *soft;
        idx.iter().for_each(|&i| s[i] = -s[i]);
        decode(&s)
    };
    if max_flips >= 1
        && let Some(p) = weak.iter().find_map(|&i| flipped(&[i]))
    {
        return Some(p);
    }
    if max_flips >= 2 {
        for (k, &i) in weak.iter().enumerate() {
            if let Some(p) = weak[k + 1..].iter().find_map(|&j| flipped(&[i, j])) {
                return Some(p);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_bits_round_trip_and_a_flipped_bit_fails_the_crc() {
        for payload in [0, 1, u64::MAX, 0x0123_4567_89AB_CDEF] {
            let mut bits = encode(payload);
            assert_eq!(decode(&bits), Some(payload));
            for i in [0, 40, 63, 64, 79] {
                bits[i] = -bits[i];
                assert_eq!(decode(&bits), None, "payload {payload:#x}, bit {i} flipped");
                bits[i] = -bits[i];
            }
        }
    }

    #[test]
    fn chase_corrects_two_weak_wrong_bits_and_not_a_strong_one() {
        let payload = 0x0123_4567_89AB_CDEF;
        let mut soft = encode(payload).map(|b| b * 10.0);
        soft[3] = -0.5 * soft[3].signum();
        soft[70] = -0.2 * soft[70].signum();
        assert_eq!(decode(&soft), None);
        assert_eq!(decode_chase(&soft, 1), None);
        assert_eq!(decode_chase(&soft, 2), Some(payload));
        // A confidently wrong bit is not among the weak ones.
        let mut strong = encode(payload);
        strong
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b *= 10.0 + i as f32);
        strong[79] = -strong[79];
        assert_eq!(decode_chase(&strong, 2), None);
    }

    #[test]
    fn every_bit_gets_a_dozen_cells_and_keys_differ() {
        let pat = Pattern::new(1);
        let mut count = [0usize; CODED_BITS];
        pat.cells.iter().for_each(|&(bit, _)| count[bit] += 1);
        assert!(count.iter().all(|&n| n == 12 || n == 13), "{count:?}");
        let other = Pattern::new(2);
        assert_ne!(pat.u, other.u);
        assert_ne!(pat.cells, other.cells);
    }
}
