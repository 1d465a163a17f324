//! A labelled JPEG read back as it is read from its file, in memory that
//! does not grow with the picture: the check of the mark after labelling.
//!
//! The labeler's JPEGs carry restart markers that tile their MCU rows (see
//! [`jpeg_luma::restart_interval`]). The scan is read through a bounded
//! buffer one band of MCU rows at a time; each band's intervals make a
//! small JPEG of the file's own tables (as `jpeg_luma` cuts the badge's
//! region), decoded to luminance only: exactly the luminance of the same
//! rows in a whole decode. The rows feed the detector's
//! [`LumaRows`] and, under the badge, its score against the masks (kept
//! as run lengths), so neither the picture nor the badge is held whole.
//! With a key (the check after labelling) the mark is read at its own
//! geometry first from one band of rows, a whole tile period of the mark
//! at the end of the picture away from the badge (about a quarter of a
//! 4:3 picture's rows, [`LumaRows::known_band`]), and that read is taken
//! only when it gives the manifest's payload; otherwise every row is read
//! in a second pass, whose verdict (another payload, or none) is the one
//! returned, as before the band. Without a key (`tanba verify`) only the bands under the badge are
//! decoded, and `verify`'s blind read of the mark ([`read_watermark`])
//! is one more pass that feeds every row to [`LumaRows::detect`]. The
//! bands are independent, so when a core is spare most of them are
//! decoded on a second thread (the check after labelling runs after the
//! writing, on a machine whose cores it then has). What this path does not take (no tiling restart markers, a
//! picture too small for [`LumaRows`] when the mark is read, CMYK) is read
//! whole by the caller, as before.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, SeekFrom};

use tanba_core::{
    Error, Limits, PerceptibleCheck, ReadSeek, Result, Source, Verification, WatermarkFound,
    WatermarkKey,
};
use tanba_watermark::{KnownReader, LumaRows};

use crate::{ImageLabeler, Info, JPEG, jpeg_luma, mark, verify};

/// Rows decoded at once (rounded to whole MCU rows).
const BAND_PX: u32 = 128;
/// Largest header (segments before the scan) this path reads; a larger one
/// (big ICC profiles) is left to the whole read.
const MAX_HEAD: usize = 4 << 20;
/// Bytes read from the file at once.
const BUFFER: usize = 256 << 10;

/// Verifies a labelled JPEG in one pass over the file, with the mark made
/// with `key` if given (see the module's note); `None` when it is not one
/// this path takes. With a key, the mark is first read from a band of
/// rows around the badge ([`LumaRows::known_band`]: one tile period of
/// the mark, a quarter to a third of the picture); only when that band
/// does not give the manifest's payload is every row read, in a second
/// pass whose verdict is the one returned.
pub(crate) fn verify(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    limits: &Limits,
    key: Option<WatermarkKey>,
) -> Result<Option<Verification>> {
    if key.is_some() {
        match verify_pass(labeler, source, limits, key, true)? {
            Some(Checked::Done(v)) => return Ok(Some(*v)),
            None => return Ok(None),
            Some(Checked::NotInBand) => {}
        }
    }
    Ok(match verify_pass(labeler, source, limits, key, false)? {
        Some(Checked::Done(v)) => Some(*v),
        Some(Checked::NotInBand) | None => None,
    })
}

/// What one pass of [`verify`] gave.
enum Checked {
    /// The verification (boxed: it is large, the other variant empty).
    Done(Box<Verification>),
    /// The band did not give the manifest's payload: every row is read.
    NotInBand,
}

/// One pass of [`verify`] over the file: with `key`, the mark is read
/// from the band around the badge (`band`) or from every row.
fn verify_pass(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    limits: &Limits,
    key: Option<WatermarkKey>,
    band: bool,
) -> Result<Option<Checked>> {
    let Some((mut reader, head)) = open(source, limits)? else {
        return Ok(None);
    };
    let Some(layout) = jpeg_luma::layout(&head) else {
        return Ok(None);
    };
    // The limits are checked here, before anything is allocated.
    let info: Info = crate::inspect(&JPEG, &head, limits)?;
    let (w, h) = (layout.width(), layout.height());
    // With a key, the mark is read from every row or a band (a small
    // picture is read whole); without, only the badge's rows are decoded.
    let rows = match key.map(|_| LumaRows::new(w, h)) {
        Some(None) => return Ok(None),
        Some(Some(rows)) => Some(rows),
        None => None,
    };
    let (marks, manifest) = match verify::marks_of(&JPEG, &info)? {
        Ok(found) => found,
        Err(unmarked) => return Ok(Some(Checked::Done(Box::new(unmarked)))),
    };
    let look = (&labeler.settings.font, &labeler.settings.style);
    // The badge's masks as run lengths; each row under it is scored as it
    // passes, so no region of the picture is held.
    let check = verify::plan_badge((w, h), info.orientation, &manifest, look)?;
    // The band is at the end of the picture away from the badge: the
    // badge's hard edges drown the mark's residual where they are (the
    // bench's 12-MP picture: sync z 12.4 in the top band, no read in the
    // bottom one under a bottom-right badge).
    let window = rows.as_ref().filter(|_| band).map(|r| {
        let below = check.as_ref().map_or(true, |s| {
            let [_, ry, _, rh] = s.region();
            ry + rh / 2 >= h / 2
        });
        let b = r.known_band(if below { 0 } else { h as usize });
        (b.start as u32, b.end as u32)
    });
    let mut read = Bands {
        rows,
        window,
        check,
    };
    for_each_band(&mut reader, &layout, limits, &mut read)?;
    let found = match (key, read.rows) {
        (Some(key), Some(rows)) if band => {
            let found = mark::found(rows.read_known(mark::key_of(key)), key);
            let wanted = manifest.watermark_payload();
            if found.is_none_or(|f| Some(f.payload) != wanted) {
                return Ok(Some(Checked::NotInBand));
            }
            found
        }
        (Some(key), Some(rows)) => {
            let mut known = KnownReader::new(mark::key_of(key));
            known.push_rows(rows);
            mark::found(known.read(), key)
        }
        _ => None,
    };
    let perceptible = match read.check {
        Ok(score) => score.finish(),
        Err(verdict) => verdict,
    };
    let mut v = Verification::new(&JPEG, marks, Some(manifest), perceptible);
    v.watermark = found;
    Ok(Some(Checked::Done(Box::new(v))))
}

/// Reads the watermark made with `key` blind (no manifest says where it
/// is) from a JPEG with tiling restart markers, in one pass over its
/// bands, holding only the detector's shrink; `None` when it is not one
/// this path takes (see the module's note).
pub(crate) fn read_watermark(
    source: &mut Source<'_>,
    key: WatermarkKey,
    limits: &Limits,
) -> Result<Option<Option<WatermarkFound>>> {
    let Some((mut reader, head)) = open(source, limits)? else {
        return Ok(None);
    };
    let Some(layout) = jpeg_luma::layout(&head) else {
        return Ok(None);
    };
    crate::inspect(&JPEG, &head, limits)?;
    let Some(rows) = LumaRows::new(layout.width(), layout.height()) else {
        return Ok(None);
    };
    let check = Err(verify::not_found("not checked: a blind read", None));
    let mut read = Bands {
        rows: Some(rows),
        window: None,
        check,
    };
    for_each_band(&mut reader, &layout, limits, &mut read)?;
    let found = read.rows.and_then(|rows| rows.detect(mark::key_of(key)));
    Ok(Some(mark::found(found, key)))
}

/// A buffered reader at a file's scan, and the file's header.
type Opened<'r, 's> = (BufReader<&'r mut (dyn ReadSeek + 's)>, Vec<u8>);

/// A reader at the scan of `source` and its header (ended as a file:
/// what `inspect` and the layout read), when it is a JPEG this path takes
/// (grey or YCbCr, restart intervals tiling its rows).
fn open<'r, 's>(source: &'r mut Source<'s>, limits: &Limits) -> Result<Option<Opened<'r, 's>>> {
    limits.check_bytes(source.len)?;
    source.reader.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::with_capacity(BUFFER, &mut *source.reader);
    let Some(mut head) = read_head(&mut reader)? else {
        return Ok(None);
    };
    head.extend_from_slice(&[0xFF, 0xD9]);
    let takes =
        jpeg_luma::layout(&head).is_some_and(|l| l.components() <= 3 && l.tiling().is_some());
    Ok(takes.then_some((reader, head)))
}

/// What the bands feed: the detector's rows (all of them, or those of
/// `window`) and the badge's score.
struct Bands {
    rows: Option<LumaRows>,
    window: Option<(u32, u32)>,
    check: std::result::Result<verify::BadgeScore, PerceptibleCheck>,
}

impl Bands {
    /// Whether picture rows `y0..y1` are wanted (else not decoded).
    fn wants(&self, y0: u32, y1: u32) -> bool {
        let badge = self.check.as_ref().is_ok_and(|s| {
            let [_, ry, _, rh] = s.region();
            ry < y1 && y0 < ry + rh
        });
        let mark = match self.window {
            Some((wy0, wy1)) => wy0 < y1 && y0 < wy1,
            None => self.rows.is_some(),
        };
        mark || badge
    }

    /// Takes picture row `y`'s luminance.
    fn row(&mut self, y: u32, luma: &[u8]) {
        let in_window = self.window.is_none_or(|(y0, y1)| (y0..y1).contains(&y));
        if let Some(rows) = self.rows.as_mut().filter(|_| in_window) {
            rows.skip_to(y as usize);
            rows.push_row(luma, 1);
        }
        if let Ok(score) = self.check.as_mut() {
            let [x, ry, rw, rh] = score.region();
            if (ry..ry + rh).contains(&y) {
                score.push_row(y - ry, &luma[x as usize..(x + rw) as usize]);
            }
        }
    }
}

/// The bytes from the start of the file to the end of the first scan's
/// header; `None` when they are not a JPEG's segments or exceed
/// [`MAX_HEAD`].
fn read_head(r: &mut impl Read) -> Result<Option<Vec<u8>>> {
    let mut head = vec![0u8; 2];
    if r.read_exact(&mut head).is_err() || head != [0xFF, 0xD8] {
        return Ok(None);
    }
    loop {
        let mut marker = [0u8; 2];
        if r.read_exact(&mut marker).is_err() || marker[0] != 0xFF {
            return Ok(None);
        }
        // Fill bytes before a marker.
        while marker[1] == 0xFF {
            if r.read_exact(&mut marker[1..]).is_err() {
                return Ok(None);
            }
        }
        head.extend_from_slice(&marker);
        if (0xD0..=0xD7).contains(&marker[1]) || marker[1] == 0x01 {
            continue;
        }
        let mut len = [0u8; 2];
        if r.read_exact(&mut len).is_err() {
            return Ok(None);
        }
        let n = usize::from(u16::from_be_bytes(len));
        if n < 2 || head.len() + n > MAX_HEAD {
            return Ok(None);
        }
        head.extend_from_slice(&len);
        let at = head.len();
        head.resize(at + n - 2, 0);
        if r.read_exact(&mut head[at..]).is_err() {
            return Ok(None);
        }
        if marker[1] == 0xDA {
            return Ok(Some(head));
        }
    }
}

/// How a restart interval's data ended.
#[derive(Debug, PartialEq)]
enum End {
    /// A restart marker, RSTn.
    Restart(u8),
    /// The end of the image.
    Image,
}

/// Appends the next restart interval's entropy-coded bytes (stuffed zeros
/// kept, fill bytes dropped) to `out`, and says which marker ended it.
fn next_interval(r: &mut impl BufRead, out: &mut Vec<u8>) -> Result<End> {
    let truncated =
        || Error::malformed("JPEG is truncated: the image data has no end-of-image marker");
    let mut after_ff = false;
    loop {
        let buf = r.fill_buf()?;
        let Some(&first) = buf.first() else {
            return Err(truncated());
        };
        if after_ff {
            r.consume(1);
            match first {
                0x00 => out.extend_from_slice(&[0xFF, 0x00]),
                0xFF => continue,
                0xD0..=0xD7 => return Ok(End::Restart(first - 0xD0)),
                0xD9 => return Ok(End::Image),
                m => {
                    return Err(Error::malformed(format!(
                        "JPEG scan data holds an unexpected marker 0x{m:02X}"
                    )));
                }
            }
            after_ff = false;
            continue;
        }
        match memchr::memchr(0xFF, buf) {
            Some(i) => {
                out.extend_from_slice(&buf[..i]);
                r.consume(i + 1);
                after_ff = true;
            }
            None => {
                let n = buf.len();
                out.extend_from_slice(buf);
                r.consume(n);
            }
        }
    }
}

/// Decodes the scan band by band and hands each picture row's luminance
/// to `to`, top to bottom. When a core is spare, a second thread decodes
/// bands too (they are independent JPEGs): each band read goes to it when
/// it has room for one more, else it is decoded here; this thread also
/// reads the scan and hands the rows on, in the same order either way.
fn for_each_band(
    r: &mut impl BufRead,
    l: &jpeg_luma::Layout<'_>,
    limits: &Limits,
    to: &mut Bands,
) -> Result<()> {
    if !crate::jpeg_dct::spare_core() {
        return read_bands(r, l, to, &mut |band: Band, to: &mut Bands| {
            let luma = jpeg_luma::decode_luma(&band.jpeg, limits)?;
            band.hand(&luma, l.width(), l.height(), to)
        });
    }
    use std::sync::mpsc::{TryRecvError, TrySendError, sync_channel};
    // One band waits for the other thread while it decodes another.
    let (job_tx, job_rx) = sync_channel::<Band>(1);
    let (done_tx, done_rx) = sync_channel::<Result<Decoded>>(PENDING);
    std::thread::scope(|s| {
        s.spawn(move || {
            for band in job_rx {
                let luma = jpeg_luma::decode_luma(&band.jpeg, limits);
                if done_tx.send(luma.map(|l| (band, l))).is_err() {
                    return;
                }
            }
        });
        // Owned here, so an early error closes both channels and the
        // other thread ends before the scope waits for it.
        let (job_tx, done_rx) = (job_tx, done_rx);
        let (w, h) = (l.width(), l.height());
        // The bands read and not yet handed on, in order: decoded here
        // (`Some`) or by the other thread (`None`, its results come back
        // in the order they were sent).
        let mut queue: VecDeque<Option<Decoded>> = VecDeque::new();
        let hand_ready = |queue: &mut VecDeque<Option<Decoded>>, wait: bool, to: &mut Bands| {
            loop {
                let must = wait || queue.len() > PENDING;
                let Some(front) = queue.front_mut() else {
                    return Ok(());
                };
                if front.is_none() {
                    *front = Some(match done_rx.try_recv() {
                        Ok(done) => done?,
                        Err(TryRecvError::Empty) if must => {
                            done_rx.recv().map_err(|_| stopped())??
                        }
                        Err(TryRecvError::Empty) => return Ok(()),
                        Err(TryRecvError::Disconnected) => return Err(stopped()),
                    });
                }
                if let Some(Some((band, luma))) = queue.pop_front() {
                    band.hand(&luma, w, h, to)?;
                }
            }
        };
        read_bands(r, l, to, &mut |band: Band, to: &mut Bands| {
            match job_tx.try_send(band) {
                Ok(()) => queue.push_back(None),
                // The other thread is busy: this one decodes the band.
                Err(TrySendError::Full(band)) => {
                    let luma = jpeg_luma::decode_luma(&band.jpeg, limits)?;
                    queue.push_back(Some((band, luma)));
                }
                Err(TrySendError::Disconnected(_)) => return Err(stopped()),
            }
            hand_ready(&mut queue, false, to)
        })?;
        hand_ready(&mut queue, true, to)?;
        // Ends the other thread's loop.
        drop(job_tx);
        Ok(())
    })
}

/// A band and its luminance.
type Decoded = (Band, image::GrayImage);

/// Bands read and not yet handed on, at most (a bound on memory: the
/// other thread is a band or two behind at most when the cores are free).
const PENDING: usize = 4;

fn stopped() -> Error {
    Error::cannot_label("the JPEG read-back thread stopped")
}

/// One band of MCU rows cut out as a small JPEG: its first picture row
/// and its height in picture rows.
struct Band {
    y0: u32,
    rows: u32,
    jpeg: Vec<u8>,
}

impl Band {
    /// Hands the band's decoded luminance `luma` to `to`, a row at a time
    /// (the picture is `w` x `h`).
    fn hand(&self, luma: &image::GrayImage, w: u32, h: u32, to: &mut Bands) -> Result<()> {
        let stride = luma.width() as usize;
        for dy in 0..self.rows.min(h - self.y0) {
            let at = dy as usize * stride;
            let line = luma
                .as_raw()
                .get(at..at + w as usize)
                .ok_or_else(|| Error::malformed("JPEG band decodes to fewer pixels"))?;
            to.row(self.y0 + dy, line);
        }
        Ok(())
    }
}

/// Reads the scan's restart intervals band by band and hands the MCU rows
/// of each band that `to` wants (first to last wanted), cut out as a
/// small JPEG, to `each`, top to bottom.
fn read_bands(
    r: &mut impl BufRead,
    l: &jpeg_luma::Layout<'_>,
    to: &mut Bands,
    each: &mut dyn FnMut(Band, &mut Bands) -> Result<()>,
) -> Result<()> {
    let k = l
        .tiling()
        .ok_or_else(|| Error::malformed("JPEG restart intervals changed"))?;
    let (mcu_w, mcu_h) = l.mcu();
    let (w, h) = (l.width(), l.height());
    let per_row = w.div_ceil(mcu_w) / k;
    let mcu_rows = h.div_ceil(mcu_h);
    let band = (BAND_PX / mcu_h).max(1);
    let total = (per_row * mcu_rows) as usize;
    let (mut data, mut ends) = (Vec::new(), Vec::new());
    let (mut done, mut row) = (0usize, 0u32);
    while row < mcu_rows {
        let n = band.min(mcu_rows - row);
        data.clear();
        ends.clear();
        for _ in 0..n * per_row {
            let end = next_interval(r, &mut data)?;
            ends.push(data.len());
            done += 1;
            let expected = if done == total {
                End::Image
            } else {
                End::Restart(((done - 1) % 8) as u8)
            };
            if end != expected {
                return Err(Error::malformed(format!(
                    "JPEG scan data: restart interval {done} of {total} ends with {end:?}"
                )));
            }
        }
        let first = row;
        row += n;
        // Only the MCU rows wanted, from the first to the last of them:
        // the mark's band rarely ends on a band's edge (whole intervals,
        // so the rows decode as in the whole band).
        let wanted = |r: &u32| to.wants(r * mcu_h, (r + 1) * mcu_h);
        let (Some(r0), Some(r1)) = ((first..row).find(wanted), (first..row).rev().find(wanted))
        else {
            continue;
        };
        let pieces: Vec<&[u8]> = ends
            .iter()
            .scan(0, |start, &e| {
                let piece = data.get(*start..e);
                *start = e;
                piece
            })
            .skip(((r0 - first) * per_row) as usize)
            .take(((r1 + 1 - r0) * per_row) as usize)
            .collect();
        let rows = (r1 + 1 - r0) * mcu_h;
        let jpeg = jpeg_luma::assemble(l, (per_row * k * mcu_w, rows), &pieces)
            .ok_or_else(|| Error::malformed("JPEG band does not fit a frame header"))?;
        each(
            Band {
                y0: r0 * mcu_h,
                rows,
                jpeg,
            },
            to,
        )?;
    }
    Ok(())
}
