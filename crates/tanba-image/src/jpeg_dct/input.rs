//! A sequential scan read from its file through a bounded window, so the
//! labelling never holds the input whole (`crate::jpeg_input` opens it).
//!
//! The bit reader stays slice-based: before each MCU row the window drops
//! the bytes already read and, when less than half of it is left, moves
//! the rest down and refills from the file ([`WINDOW`] bytes, more only
//! for a row longer than half of that). A row that stopped within
//! [`MARGIN`] bytes of the window's end while the file holds more may have
//! taken the window's end for the data's: it is decoded again from the
//! state before it, with the window doubled, so every row decodes exactly
//! as from the whole scan (same blocks, same errors).

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};

use tanba_core::Result;

/// The window's size (bytes read from the file at once, at most).
pub(crate) const WINDOW: usize = 1 << 20;

/// Bytes past its position a bit reader may look at (its refill reads 8).
pub(crate) const MARGIN: usize = 64;

/// The scan of a file, from the byte after its header, seen through a
/// window that moves forward.
pub(crate) struct Window {
    file: File,
    /// Where the scan starts in the file.
    at: u64,
    buf: Vec<u8>,
    /// The bytes not yet read are `buf[start..end]`.
    start: usize,
    end: usize,
    /// The file has nothing past `end`.
    eof: bool,
}

impl Window {
    /// The scan of `file` starting at byte `at`.
    pub(crate) fn new(file: File, at: u64) -> Result<Self> {
        Self::sized(file, at, WINDOW)
    }

    /// [`Window::new`] with a window of `size` bytes (tests try small ones).
    pub(crate) fn sized(file: File, at: u64, size: usize) -> Result<Self> {
        let mut w = Window {
            file,
            at,
            buf: vec![0; size.max(2 * MARGIN)],
            start: 0,
            end: 0,
            eof: false,
        };
        w.rewind()?;
        Ok(w)
    }

    /// Back to the scan's first byte, nothing held.
    fn rewind(&mut self) -> Result<()> {
        self.file.seek(SeekFrom::Start(self.at))?;
        (self.start, self.end, self.eof) = (0, 0, false);
        Ok(())
    }

    /// The bytes held that are not read yet.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Drops the first `n` bytes held (read already); when less than half
    /// the window is left, moves the rest down and refills.
    pub(crate) fn advance(&mut self, n: usize) -> Result<()> {
        self.start = (self.start + n).min(self.end);
        if self.end - self.start < self.buf.len() / 2 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.end, self.start) = (self.end - self.start, 0);
            self.fill()?;
        }
        Ok(())
    }

    /// Whether a reader that stopped at `pos` (in [`Window::bytes`]) may
    /// have looked past the bytes held while the file has more.
    pub(crate) fn overrun(&self, pos: usize) -> bool {
        !self.eof && self.start + pos + MARGIN > self.end
    }

    /// Doubles the window and fills it: a row longer than half of it.
    pub(crate) fn grow(&mut self) -> Result<()> {
        let size = self.buf.len() * 2;
        self.buf.resize(size, 0);
        self.fill()
    }

    /// Reads until the window is full or the file ends.
    fn fill(&mut self) -> Result<()> {
        while !self.eof && self.end < self.buf.len() {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The first marker in the scan that is not a restart marker (stuffed
    /// zeros and fill bytes skipped), found without decoding: what
    /// `super::after_scan` finds in a whole scan; `None` when the file ends
    /// first. Reads the scan once; the window is then back at its start.
    pub(crate) fn first_marker(&mut self) -> Result<Option<u8>> {
        // The last byte seen was a 0xFF whose next byte was not yet read.
        let mut after_ff = false;
        let found = 'read: loop {
            self.advance(self.end - self.start)?;
            let data = self.bytes();
            if data.is_empty() {
                break None;
            }
            let mut at = 0;
            if after_ff {
                match data[0] {
                    0x00 | 0xD0..=0xD7 => at = 1,
                    0xFF => {}
                    b => break Some(b),
                }
                after_ff = false;
            }
            while let Some(i) = memchr::memchr(0xFF, &data[at..]) {
                let m = at + i;
                match data.get(m + 1) {
                    None => {
                        after_ff = true;
                        continue 'read;
                    }
                    Some(0x00 | 0xD0..=0xD7 | 0xFF) => at = m + 1,
                    Some(&b) => break 'read Some(b),
                }
            }
        };
        self.rewind()?;
        Ok(found)
    }

    /// Whether the bytes from `pos` (in [`Window::bytes`]) go on to the
    /// end of the image: the first 0xFF there starts the EOI marker (what
    /// `super::ends_the_image` says of a whole scan's rest).
    pub(crate) fn ends_the_image(&mut self, pos: usize) -> Result<bool> {
        self.advance(pos)?;
        let mut seen_ff = false;
        loop {
            let data = self.bytes();
            if data.is_empty() {
                return Ok(false);
            }
            for &b in data {
                if seen_ff && b != 0xFF {
                    return Ok(b == 0xD9);
                }
                seen_ff |= b == 0xFF;
            }
            self.advance(data.len())?;
        }
    }
}
