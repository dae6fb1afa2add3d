//! CSV records found at the byte level, under the csv parser, for two things it does not give:
//!
//! - a cap on a record's size that holds when a quoted field spans lines (an unterminated
//!   quote would otherwise have the parser buffer the rest of the file as one field);
//! - the line each record starts on as an editor numbers it (the parser's positions are one
//!   short after a CRLF and after a blank line: they are taken before the line break that
//!   ends the previous record, or the blank line, is read).
//!
//! The scanner follows csv-core's grammar with its default settings, so that both find the
//! same records: a record starts at the first byte that is not `\r` or `\n`; a field is quoted
//! only when `"` is its first byte; inside quotes `""` is a quote and a lone `"` ends the
//! quoting (what follows it up to the next comma is plain text); outside quotes `\r` or `\n`
//! ends the record. A line break is `\n`, `\r\n` or a lone `\r`.
use super::super::import::MAX_LINE_BYTES;
use std::collections::VecDeque;
use std::io::Read;

/// A record or line over `MAX_LINE_BYTES`, carried through the csv parser as an I/O error.
#[derive(Debug)]
pub struct TooLong {
    /// The line where the record (or line) starts.
    pub line: u64,
    /// Whether the record had run over more than one line (a quoted field was open).
    pub spans_lines: bool,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is too long", self.line)
    }
}

impl std::error::Error for TooLong {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records (skipping blank lines).
    Between,
    /// In a record, outside quotes.
    Plain,
    /// Inside a quoted field.
    Quoted,
    /// Just after a `"` inside a quoted field: `""` goes on, anything else closes it.
    QuoteInQuoted,
}

/// Passes the bytes of `inner` through, noting where each record starts; fails a read once
/// a record passes `MAX_LINE_BYTES`.
pub struct Records<R> {
    inner: R,
    state: State,
    /// The line of the next byte.
    line: u64,
    /// The last byte of the previous read was `\r`: whether it ended a line depends on the
    /// first byte of this one.
    cr: bool,
    /// The last byte of the previous read.
    last: u8,
    /// Where the current record starts, and its bytes so far (line breaks that end it not
    /// counted).
    start: u64,
    len: usize,
    starts: VecDeque<u64>,
}

impl<R: Read> Records<R> {
    pub fn new(inner: R) -> Self {
        Records {
            inner,
            state: State::Between,
            line: 1,
            cr: false,
            last: b'\n',
            start: 1,
            len: 0,
            starts: VecDeque::new(),
        }
    }

    /// The line where the next record the parser returns starts (records are taken in order).
    pub fn next_start(&mut self) -> u64 {
        self.starts.pop_front().unwrap_or(self.line)
    }

    /// Counts the line break at `buf[j]` (`\r` or `\n`).
    #[inline]
    fn line_break(&mut self, buf: &[u8], j: usize) {
        if buf[j] == b'\n' {
            self.line += 1;
        } else if j + 1 == buf.len() {
            self.cr = true;
        } else if buf[j + 1] != b'\n' {
            self.line += 1;
        }
    }

    fn too_long(&self) -> TooLong {
        TooLong {
            line: self.start,
            spans_lines: self.line > self.start,
        }
    }

    fn scan(&mut self, buf: &[u8]) -> Result<(), TooLong> {
        let Some(&last) = buf.last() else {
            return Ok(());
        };
        if std::mem::take(&mut self.cr) && buf[0] != b'\n' {
            self.line += 1;
        }
        let mut i = 0;
        while i < buf.len() {
            match self.state {
                State::Between => {
                    let b = buf[i];
                    if b == b'\n' || b == b'\r' {
                        self.line_break(buf, i);
                        i += 1;
                        continue;
                    }
                    self.start = self.line;
                    self.len = 0;
                    self.starts.push_back(self.line);
                    if b == b'"' {
                        self.state = State::Quoted;
                        self.len = 1;
                        i += 1;
                    } else {
                        self.state = State::Plain;
                    }
                }
                State::Plain => {
                    let rest = &buf[i..];
                    let Some(k) = memchr::memchr3(b'"', b'\n', b'\r', rest) else {
                        self.len += rest.len();
                        break;
                    };
                    let j = i + k;
                    self.len += k;
                    if buf[j] == b'"' {
                        // A quote opens a quoted field only as the field's first byte.
                        let before = if j > 0 { buf[j - 1] } else { self.last };
                        if before == b',' {
                            self.state = State::Quoted;
                        }
                        self.len += 1;
                    } else {
                        if self.len > MAX_LINE_BYTES {
                            return Err(self.too_long());
                        }
                        self.state = State::Between;
                        self.line_break(buf, j);
                    }
                    i = j + 1;
                }
                State::Quoted => {
                    let rest = &buf[i..];
                    let Some(k) = memchr::memchr3(b'"', b'\n', b'\r', rest) else {
                        self.len += rest.len();
                        break;
                    };
                    let j = i + k;
                    self.len += k + 1;
                    if buf[j] == b'"' {
                        self.state = State::QuoteInQuoted;
                    } else {
                        self.line_break(buf, j);
                    }
                    i = j + 1;
                }
                State::QuoteInQuoted => {
                    if buf[i] == b'"' {
                        self.state = State::Quoted;
                        self.len += 1;
                        i += 1;
                    } else {
                        self.state = State::Plain;
                    }
                }
            }
            if self.len > MAX_LINE_BYTES {
                return Err(self.too_long());
            }
        }
        if self.len > MAX_LINE_BYTES {
            return Err(self.too_long());
        }
        self.last = last;
        Ok(())
    }
}

impl<R: Read> Read for Records<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]).map_err(std::io::Error::other)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start line of every record, reading `input` `step` bytes at a time.
    fn starts(input: &[u8], step: usize) -> Result<Vec<u64>, TooLong> {
        let mut r = Records::new(input);
        for chunk in input.chunks(step) {
            r.scan(chunk)?;
        }
        Ok(r.starts.into_iter().collect())
    }

    /// The start line of every record as the csv crate splits them, given our scanner's
    /// numbering: both must find the same records.
    fn parsed(input: &[u8]) -> (usize, Vec<u64>) {
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(Records::new(input));
        let mut rec = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while csv.read_byte_record(&mut rec).unwrap() {
            lines.push(csv.get_mut().next_start());
        }
        (lines.len(), lines)
    }

    #[test]
    fn records_start_where_an_editor_says() {
        let cases: &[(&[u8], &[u64])] = &[
            (b"a,b\nc,d\n", &[1, 2]),
            (b"a,b\r\nc,d\r\ne,f", &[1, 2, 3]),
            (b"a\rb\rc\r", &[1, 2, 3]),
            (b"a\n\n\r\n\nb\n", &[1, 5]),
            (b"a,\"x\r\ny\nz\"\nb\n", &[1, 4]),
            (b"a,\"say \"\"hi\"\"\n\"\nb\n", &[1, 3]),
            // Quotes inside a plain field, and after a closed quoted field, are plain text.
            (b"a,5\" floppy\nb,\"x\"y\"z\nc\n", &[1, 2, 3]),
            (b"\"a\nb\",c\r\n\"\"\r\nd", &[1, 3, 4]),
            (b"\"\"\"\",\"\n\"\n", &[1]),
        ];
        for (input, want) in cases {
            for step in [1, 2, 3, 7, 4096] {
                assert_eq!(
                    starts(input, step).unwrap(),
                    *want,
                    "{:?} by {step}",
                    String::from_utf8_lossy(input)
                );
            }
            let (n, lines) = parsed(input);
            assert_eq!(n, want.len(), "{:?}", String::from_utf8_lossy(input));
            assert_eq!(lines, *want);
        }
    }

    #[test]
    fn a_record_of_exactly_the_limit_is_fine_and_one_byte_more_is_not() {
        let record = |n: usize, end: &[u8]| [vec![b'x'; n], end.to_vec()].concat();
        let ok = [
            record(3, b"\r\n"),
            record(MAX_LINE_BYTES, b"\r\n"),
            record(1, b""),
        ]
        .concat();
        assert_eq!(starts(&ok, 7).unwrap(), [1, 2, 3]);
        let bad = [record(3, b"\n"), record(MAX_LINE_BYTES + 1, b"\n")].concat();
        let e = starts(&bad, 7).unwrap_err();
        assert_eq!((e.line, e.spans_lines), (2, false));
        let mut open = b"a\nb,\"".to_vec();
        open.extend(std::iter::repeat_n(b"z\r\n".as_slice(), MAX_LINE_BYTES / 3).flatten());
        let e = starts(&open, 4096).unwrap_err();
        assert_eq!((e.line, e.spans_lines), (2, true));
    }
}
