//! HEIF brands: which `ftyp` makes a file a HEIF picture (HEIC or AVIF)
//! rather than a movie. Compiled without the `heif` feature too, so the
//! video labeler can leave such files alone even when this build cannot
//! label them.

use crate::{AVIF, HEIC};
use tanba_core::Format;

/// Major brands of a still HEIF picture, and of image sequences (which may
/// also hold a still primary image, but are refused if they hold a track).
const PICTURE_BRANDS: [&[u8; 4]; 12] = [
    b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
    b"mif1", b"msf1",
];
/// Compatible brands that make a file with another major brand a picture.
const COMPATIBLE: [&[u8; 4]; 4] = [b"mif1", b"mif2", b"avif", b"heic"];
/// Major brands of ordinary movies, which may list `mif1` for a cover
/// picture and are still the video labeler's.
const MOVIE_BRANDS: [&[u8; 3]; 8] = [
    b"iso", b"mp4", b"mp7", b"avc", b"M4V", b"qt ", b"3gp", b"3g2",
];

/// The HEIF format of a file starting with `head`, by its `ftyp` brands.
pub fn sniff(head: &[u8]) -> Option<&'static Format> {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let major = &head[8..12];
    let compatible: Vec<&[u8]> = head
        .get(16..size.min(head.len()))
        .unwrap_or_default()
        .chunks_exact(4)
        .collect();
    let has = |b: &[u8]| major == b || compatible.contains(&b);
    let picture = PICTURE_BRANDS.iter().any(|b| major == *b)
        || (!MOVIE_BRANDS.iter().any(|b| major.starts_with(*b))
            && COMPATIBLE.iter().any(|b| compatible.contains(&&b[..])));
    if !picture {
        return None;
    }
    // AVIF unless the file says HEVC: the brand decides the output codec.
    let hevc = [
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
    ];
    if !has(b"avif") && !has(b"avis") || hevc.iter().any(|b| major == *b) {
        Some(&HEIC)
    } else {
        Some(&AVIF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let mut v = ((16 + 4 * compatible.len()) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0; 4]);
        for c in compatible {
            v.extend_from_slice(*c);
        }
        v
    }

    #[test]
    fn sniffs_picture_brands_not_movies() {
        let name = |h: Vec<u8>| sniff(&h).map(|f| f.name);
        assert_eq!(name(ftyp(b"avif", &[b"mif1", b"miaf"])), Some("avif"));
        assert_eq!(name(ftyp(b"heic", &[b"mif1", b"heic"])), Some("heic"));
        assert_eq!(name(ftyp(b"mif1", &[b"heic"])), Some("heic"));
        assert_eq!(name(ftyp(b"mif1", &[b"avif"])), Some("avif"));
        assert_eq!(name(ftyp(b"avis", &[b"avif", b"msf1"])), Some("avif"));
        assert_eq!(name(ftyp(b"isom", &[b"isom", b"mp41"])), None);
        // A movie that lists mif1 (a cover picture) stays a movie.
        assert_eq!(name(ftyp(b"mp42", &[b"mif1", b"isom"])), None);
        assert_eq!(name(ftyp(b"M4A ", &[])), None);
    }
}
