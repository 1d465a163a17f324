//! What the streamed path (`stream`) needs per format: whether the head
//! settles the labelling or the verdict as the whole file would, the
//! checks over the rest (HTML tags that would move the marks, subtitle
//! cues), and SubRip's renumbered copy.

use std::io::Write;

use tanba_core::{Limits, Result, Source};

use crate::stream::{self, CHUNK, Head, Lines};
use crate::{html, markdown, subtitles};

/// Whether the head settles where the notice and the marks go, as the
/// whole file would (the rest is read for HTML and subtitles, and the cues
/// checked, with the whole-file path's errors); `false` sends the file the
/// whole-file way.
pub fn settles_label(source: &mut Source<'_>, head: &Head, limits: &Limits) -> Result<bool> {
    let bom = head.bom.len() as u64;
    Ok(match source.format.name {
        "markdown" => markdown::head_suffices(&head.text),
        "html" => {
            let rest = bom + head.text.len() as u64;
            !stream::rest_holds(source, rest, &html::AFTER_HEAD)?
        }
        "srt" | "vtt" => {
            let vtt = source.format.name == "vtt";
            let header_ends =
                !vtt || subtitles::after_first_blank_line(&head.text) < head.text.len();
            cues_settled(head) && header_ends && check_cues(source, bom, vtt, limits)?
        }
        _ => true,
    })
}

/// Whether the head gives the whole file's verdict (the cues of subtitles
/// checked over the file, with the whole-file path's errors).
pub fn settles_verdict(source: &mut Source<'_>, head: &Head, limits: &Limits) -> Result<bool> {
    let bom = head.bom.len() as u64;
    Ok(match source.format.name {
        "markdown" => markdown::head_suffices(&head.text),
        "html" => html::head_has_marks(&head.text),
        "srt" | "vtt" => {
            let vtt = source.format.name == "vtt";
            cues_settled(head) && check_cues(source, bom, vtt, limits)?
        }
        _ => true,
    })
}

/// Whether the first blocks of subtitles, where our cues and notes are
/// (and where the marks are looked for), end inside the head.
fn cues_settled(head: &Head) -> bool {
    subtitles::leading_blocks(&head.text, subtitles::OUR_BLOCKS + 1).len() < head.text.len()
}

/// [`subtitles::check_cues`] over the text from `start`, a line at a
/// time: `Ok(false)` at a line too long for the streamed path.
fn check_cues(source: &mut Source<'_>, start: u64, vtt: bool, limits: &Limits) -> Result<bool> {
    let mut lines = Lines::new(source.reader, start)?;
    let mut cues = subtitles::Cues::new(vtt);
    let mut line = String::new();
    while lines.next_into(&mut line)? {
        cues.line(stream::without_break(&line), limits)?;
    }
    if lines.too_long {
        return Ok(false);
    }
    cues.finish()?;
    Ok(true)
}

/// Writes the SubRip text from `start` with every cue number one higher,
/// as the whole-file path's `renumber`, a line at a time.
pub fn write_renumbered(source: &mut Source<'_>, start: u64, output: &mut dyn Write) -> Result<()> {
    let mut lines = Lines::new(source.reader, start)?;
    let (mut line, mut next) = (String::new(), String::new());
    let mut more = lines.next_into(&mut line)?;
    let mut block_start = true;
    let mut out = String::with_capacity(CHUNK + 1024);
    while more {
        let has_next = lines.next_into(&mut next)?;
        let after = has_next.then_some(next.as_str());
        subtitles::renumber_line(&line, after, &mut block_start, 1, &mut out);
        if out.len() >= CHUNK {
            output.write_all(out.as_bytes())?;
            out.clear();
        }
        std::mem::swap(&mut line, &mut next);
        more = has_next;
    }
    if lines.too_long {
        // The cue check read every line within bounds: the file changed.
        return Err(tanba_core::Error::malformed(
            "the file changed while it was being labelled",
        ));
    }
    output.write_all(out.as_bytes())?;
    Ok(())
}
