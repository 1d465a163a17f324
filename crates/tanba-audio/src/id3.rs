//! The ID3v2 tag of an AIFF `ID3 ` chunk: the AIGC object in a
//! `TXXX:AIGC` frame and the XMP packet in a `PRIV:XMP` frame (where
//! exiftool and FFmpeg look for them in AIFF), the input's other frames
//! kept. Only what AIFF needs: unsynchronised or extended-header tags are
//! not parsed (their frames are left out, with a note).

/// One frame: its id, flags and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// `TXXX`, `TIT2` …
    pub id: [u8; 4],
    /// The body as stored.
    pub body: Vec<u8>,
}

/// What a tag holds for us.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tag {
    /// The `TXXX:AIGC` value.
    pub aigc: Option<String>,
    /// The `PRIV:XMP` packet.
    pub xmp: Option<String>,
    /// Every other frame, to carry into the output.
    pub others: Vec<Frame>,
    /// The tag could not be parsed (a version or flag this reader lacks).
    pub unreadable: bool,
}

fn synchsafe(b: &[u8]) -> usize {
    b.iter()
        .fold(0usize, |acc, x| (acc << 7) | usize::from(x & 0x7f))
}

fn to_synchsafe(n: usize) -> [u8; 4] {
    [
        ((n >> 21) & 0x7f) as u8,
        ((n >> 14) & 0x7f) as u8,
        ((n >> 7) & 0x7f) as u8,
        (n & 0x7f) as u8,
    ]
}

/// The description and value of a `TXXX` frame in ISO-8859-1 or UTF-8.
fn txxx(body: &[u8]) -> Option<(String, String)> {
    let (&enc, rest) = body.split_first()?;
    if enc != 0 && enc != 3 {
        return None;
    }
    let nul = rest.iter().position(|b| *b == 0)?;
    let value = rest[nul + 1..].split(|b| *b == 0).next().unwrap_or(&[]);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Some((text(&rest[..nul]), text(value)))
}

/// Reads a tag (ID3v2.3 or 2.4).
pub(crate) fn read(bytes: &[u8]) -> Tag {
    let mut tag = Tag::default();
    let readable = bytes.len() >= 10
        && bytes.starts_with(b"ID3")
        && matches!(bytes[3], 3 | 4)
        && bytes[5] & 0xC0 == 0;
    if !readable {
        tag.unreadable = true;
        return tag;
    }
    let v4 = bytes[3] == 4;
    let end = (10 + synchsafe(&bytes[6..10])).min(bytes.len());
    let mut at = 10;
    while at + 10 <= end && bytes[at] != 0 {
        let id = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        let size_bytes = &bytes[at + 4..at + 8];
        let size = if v4 {
            synchsafe(size_bytes)
        } else {
            u32::from_be_bytes([size_bytes[0], size_bytes[1], size_bytes[2], size_bytes[3]])
                as usize
        };
        let format_flags = bytes[at + 9];
        let Some(body) = bytes.get(at + 10..at + 10 + size) else {
            tag.unreadable = true;
            break;
        };
        at += 10 + size;
        let ours = match &id {
            b"TXXX" => txxx(body)
                .filter(|(desc, _)| desc == "AIGC")
                .map(|(_, v)| tag.aigc = Some(v))
                .is_some(),
            b"PRIV" if body.starts_with(b"XMP\0") => {
                tag.xmp = Some(String::from_utf8_lossy(&body[4..]).into_owned());
                true
            }
            _ => false,
        };
        // Compressed, encrypted or grouped frames differ between versions.
        if !ours && format_flags == 0 {
            tag.others.push(Frame {
                id,
                body: body.to_vec(),
            });
        }
    }
    tag
}

fn frame(id: &[u8; 4], body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(id);
    out.extend_from_slice(&to_synchsafe(body.len()));
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(body);
}

/// An ID3v2.4 tag with `TXXX:AIGC` = `aigc`, `PRIV:XMP` = `xmp`, then `others`.
pub(crate) fn write(aigc: &str, xmp: &str, others: &[Frame]) -> Vec<u8> {
    let mut frames = Vec::new();
    let mut body = vec![3];
    body.extend_from_slice(b"AIGC\0");
    body.extend_from_slice(aigc.as_bytes());
    frame(b"TXXX", &body, &mut frames);
    let mut body = b"XMP\0".to_vec();
    body.extend_from_slice(xmp.as_bytes());
    frame(b"PRIV", &body, &mut frames);
    for f in others {
        frame(&f.id, &f.body, &mut frames);
    }
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    tag.extend_from_slice(&to_synchsafe(frames.len()));
    tag.extend(frames);
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_tags_read_back_and_keep_other_frames() {
        let title = Frame {
            id: *b"TIT2",
            body: b"\x03Title".to_vec(),
        };
        let bytes = write(
            "{\"Label\":\"1\"}",
            "<x:xmpmeta/>",
            std::slice::from_ref(&title),
        );
        let tag = read(&bytes);
        assert!(!tag.unreadable);
        assert_eq!(tag.aigc.as_deref(), Some("{\"Label\":\"1\"}"));
        assert_eq!(tag.xmp.as_deref(), Some("<x:xmpmeta/>"));
        assert_eq!(tag.others, vec![title]);
        // A tag body of 200 bytes is synchsafe: no byte above 0x7f.
        assert_eq!(to_synchsafe(200), [0, 0, 1, 0x48]);
        assert!(read(b"ID3\x02\0\0\0\0\0\0").unreadable);
    }
}
