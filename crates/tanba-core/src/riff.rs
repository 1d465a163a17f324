//! RIFF chunks (little-endian sizes, bodies padded to an even length), as
//! WAV and AVI store them: the one writer and the one `LIST` item reader
//! the audio and video crates share.

/// A chunk: `id`, the body's length, the body, and a pad byte when the
/// length is odd.
pub fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// The items of a list's body (after its type, e.g. `INFO`), `(id, body)`,
/// in order; a cut item ends the list.
pub fn list_items(mut items: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    while items.len() >= 8 {
        let id = [items[0], items[1], items[2], items[3]];
        let size = u32::from_le_bytes([items[4], items[5], items[6], items[7]]) as usize;
        let Some(body) = items.get(8..8 + size) else {
            break;
        };
        out.push((id, body));
        items = items.get(8 + size + (size & 1)..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_pad_to_even_and_read_back() {
        let list = [chunk(b"INAM", b"abc"), chunk(b"ICMT", b"de")].concat();
        assert_eq!(list.len(), 8 + 4 + 8 + 2);
        assert_eq!(
            list_items(&list),
            vec![(*b"INAM", &b"abc"[..]), (*b"ICMT", &b"de"[..])]
        );
        // A cut item ends the list.
        assert_eq!(list_items(&list[..15]).len(), 1);
    }
}
