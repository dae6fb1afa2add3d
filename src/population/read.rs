//! Reading CSV and JSONL into raw records, on a blocking thread, with a cap on the size of a
//! record (CSV, where a quoted field may span lines) or of a line (JSONL).
use super::import::{Format, ImportError, MAX_LINE_BYTES};
use super::validate::{shown, RawRecord, KNOWN};
use records::{Records, TooLong};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

mod records;

/// What the reader hands on: a record, a line that could not even be read as a record, or a
/// fatal error (after which nothing more comes).
pub enum Item {
    Record(RawRecord),
    Unreadable { line: u64, reason: String },
}

/// Counts bytes (for progress) and, for JSONL, refuses a physical line longer than the limit.
/// (CSV records are measured above it, by `Records`, which knows about quotes.)
pub struct Guard<R> {
    inner: R,
    lines: bool,
    line_len: usize,
    line: u64,
    pub read: Arc<AtomicU64>,
}

impl<R: Read> Guard<R> {
    /// A guard that refuses over-long lines.
    pub fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Guard {
            inner,
            lines: true,
            line_len: 0,
            line: 1,
            read,
        }
    }

    /// A guard that only counts.
    fn counting(inner: R, read: Arc<AtomicU64>) -> Self {
        Guard {
            lines: false,
            ..Guard::new(inner, read)
        }
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.lines {
            let too_long = |line| {
                Err(std::io::Error::other(TooLong {
                    line,
                    spans_lines: false,
                }))
            };
            let mut rest = &buf[..n];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                if self.line_len + i > MAX_LINE_BYTES {
                    return too_long(self.line);
                }
                self.line += 1;
                self.line_len = 0;
                rest = &rest[i + 1..];
            }
            self.line_len += rest.len();
            if self.line_len > MAX_LINE_BYTES {
                return too_long(self.line);
            }
        }
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn io_error(e: std::io::Error) -> ImportError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooLong>())
    {
        Some(TooLong {
            line,
            spans_lines: false,
        }) => ImportError::LineTooLong { line: *line },
        Some(TooLong { line, .. }) => ImportError::RecordTooLong { line: *line },
        None => ImportError::Io(e.to_string()),
    }
}

/// Refuses input that is plainly not text: NUL bytes, or bytes that are not UTF-8 at the start.
fn sniff(head: &[u8], format: Format) -> Result<(), ImportError> {
    let what = match format {
        Format::Csv => "CSV",
        Format::Jsonl => "JSONL",
    };
    let text_ok = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sniffed block is fine.
        Err(e) => e.error_len().is_none(),
    };
    if head.contains(&0) || !text_ok {
        return Err(ImportError::NotTabular(format!(
            "the file is not {what}: it is not UTF-8 text (is it a spreadsheet or an archive? export it as {what})"
        )));
    }
    Ok(())
}

/// Reads `input` and calls `emit` for each item. Returns on a fatal error or at the end.
pub fn read_all<R: Read>(
    input: R,
    format: Format,
    read: Arc<AtomicU64>,
    mut emit: impl FnMut(Item) -> bool,
) -> Result<(), ImportError> {
    let guard = match format {
        Format::Csv => Guard::counting(input, read),
        Format::Jsonl => Guard::new(input, read),
    };
    let mut reader = BufReader::with_capacity(256 * 1024, guard);
    let head = reader.fill_buf().map_err(io_error)?;
    let head = &head[..head.len().min(8192)];
    sniff(head, format)?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").map(|_| 3).unwrap_or(0);
    reader.consume(head);
    match format {
        Format::Csv => read_csv(reader, emit),
        Format::Jsonl => read_jsonl(reader, &mut emit),
    }
}

fn read_csv<R: Read>(input: R, mut emit: impl FnMut(Item) -> bool) -> Result<(), ImportError> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(64 * 1024)
        .from_reader(Records::new(input));
    let header = csv.byte_headers().map_err(csv_fatal)?.clone();
    csv.get_mut().next_start();
    if header.is_empty() || header.iter().all(|h| h.is_empty()) {
        return Err(ImportError::NotTabular(
            "the file is empty: it has no header row".into(),
        ));
    }
    let mut columns: Vec<Column> = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let name = std::str::from_utf8(h)
            .map_err(|_| ImportError::NotTabular("the header row is not UTF-8 text".into()))?
            .trim();
        if name.is_empty() {
            return Err(ImportError::NotTabular(format!(
                "column {} of the header has no name",
                i + 1
            )));
        }
        let lower = name.to_ascii_lowercase();
        let col = match KNOWN.iter().find(|k| **k == lower) {
            Some(k) => Column::Known(k),
            None => Column::Attribute(name.to_owned()),
        };
        if columns.iter().any(|c| c.name() == col.name()) {
            return Err(ImportError::NotTabular(format!(
                "column '{}' appears twice in the header",
                shown(name)
            )));
        }
        columns.push(col);
    }
    if !columns
        .iter()
        .any(|c| matches!(c, Column::Known("external_id")))
    {
        return Err(ImportError::MissingExternalId);
    }
    // Other columns become one JSON object per row, written straight from the fields with
    // its keys in order (as a JSON map would write them).
    let mut attribute_columns: Vec<(usize, String)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Column::Attribute(name) => Some((i, serde_json::to_string(name).unwrap_or_default())),
            Column::Known(_) => None,
        })
        .collect();
    attribute_columns.sort_by(|a, b| columns[a.0].name().cmp(columns[b.0].name()));
    // A StringRecord checks a whole row's UTF-8 at once.
    let mut rec = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => {
                    let csv::ErrorKind::Io(io) = e.into_kind() else {
                        unreachable!()
                    };
                    return Err(io_error(io));
                }
                kind => {
                    let line = csv.get_mut().next_start();
                    let reason = match kind {
                        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 text".to_string(),
                        _ => format!("not valid CSV: {e}"),
                    };
                    if !emit(Item::Unreadable { line, reason }) {
                        return Ok(());
                    }
                    continue;
                }
            },
        }
        // The parser's own positions are one short after a CRLF or a blank line.
        let line = csv.get_mut().next_start();
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // blank line
        }
        if rec.len() != columns.len() {
            let item = Item::Unreadable {
                line,
                reason: format!("has {} fields; the header has {}", rec.len(), columns.len()),
            };
            if !emit(item) {
                return Ok(());
            }
            continue;
        }
        let mut raw = RawRecord::new(line, columns.len());
        for (col, text) in columns.iter().zip(rec.iter()) {
            if let Column::Known(k) = col {
                raw.push(k, Some(text));
            }
        }
        if !attribute_columns.is_empty() {
            let mut json = Vec::with_capacity(128);
            json.push(b'{');
            for (i, key) in &attribute_columns {
                let value = rec.get(*i).unwrap_or_default().trim();
                if value.is_empty() {
                    continue;
                }
                if json.len() > 1 {
                    json.push(b',');
                }
                json.extend_from_slice(key.as_bytes());
                json.push(b':');
                let _ = serde_json::to_writer(&mut json, value);
            }
            json.push(b'}');
            raw.attributes = String::from_utf8(json).ok();
        }
        let item = Item::Record(raw);
        if !emit(item) {
            return Ok(());
        }
    }
}

fn csv_fatal(e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io_error(io),
        other => ImportError::NotTabular(format!("the header row is not valid CSV: {other:?}")),
    }
}

enum Column {
    Known(&'static str),
    Attribute(String),
}

impl Column {
    fn name(&self) -> &str {
        match self {
            Column::Known(k) => k,
            Column::Attribute(a) => a,
        }
    }
}

fn read_jsonl<R: BufRead>(
    mut input: R,
    emit: &mut impl FnMut(Item) -> bool,
) -> Result<(), ImportError> {
    let mut buf = Vec::with_capacity(4096);
    let mut line = 0u64;
    let mut seen_object = false;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(io_error)?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(_) => {
                if !emit(Item::Unreadable {
                    line,
                    reason: "is not valid UTF-8 text".into(),
                }) {
                    return Ok(());
                }
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(o)) => o,
            other => {
                if !seen_object {
                    return Err(ImportError::NotTabular(format!(
                        "the file is not JSONL: line {line} is not a JSON object (one object per line is expected)"
                    )));
                }
                let reason = match other {
                    Ok(_) => "is not a JSON object".to_string(),
                    Err(e) => format!("is not valid JSON ({e})"),
                };
                if !emit(Item::Unreadable { line, reason }) {
                    return Ok(());
                }
                continue;
            }
        };
        seen_object = true;
        let item = match record_from_object(line, obj) {
            Ok(raw) => Item::Record(raw),
            Err(reason) => Item::Unreadable { line, reason },
        };
        if !emit(item) {
            return Ok(());
        }
    }
}

fn record_from_object(line: u64, obj: Map<String, Value>) -> Result<RawRecord, String> {
    let mut raw = RawRecord::new(line, obj.len());
    let mut attrs = Map::new();
    for (key, value) in obj {
        let Some(known) = KNOWN.iter().find(|k| **k == key) else {
            attrs.insert(key, value);
            continue;
        };
        let text = match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) if *known == "external_id" || *known == "phone" => Some(n.to_string()),
            Value::Array(items) if *known == "data_categories" => {
                let list = items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err("data_categories: must be a list of strings".to_string()),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                raw.category_list = Some(list);
                continue;
            }
            _ => return Err(format!("{known}: must be a string")),
        };
        raw.push(known, text.as_deref());
    }
    if !attrs.is_empty() {
        raw.attributes = serde_json::to_string(&attrs).ok();
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `input` through a guard in small chunks (lines span reads).
    fn guarded(input: Vec<u8>) -> Result<(), ImportError> {
        let mut guard = Guard::new(&input[..], Arc::new(AtomicU64::new(0)));
        let mut buf = [0u8; 7];
        loop {
            match guard.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(io_error(e)),
            }
        }
    }

    /// A row that is not UTF-8 is reported with its line; the rows after it are read.
    #[test]
    fn a_row_that_is_not_utf8_is_skipped_with_its_line() {
        // Past the head that is sniffed for a binary file.
        let mut input = b"external_id,name\n".to_vec();
        for i in 0..1000 {
            input.extend_from_slice(format!("p{i},Name {i}\n").as_bytes());
        }
        input.extend_from_slice(b"b,");
        input.extend_from_slice(&[0xff, 0xfe, b'x']);
        input.extend_from_slice(b"\nc,Cy\n");
        let mut seen = Vec::new();
        read_all(
            &input[..],
            Format::Csv,
            Arc::new(AtomicU64::new(0)),
            |item| {
                seen.push(match item {
                    Item::Record(r) => format!("{}: record", r.line),
                    Item::Unreadable { line, reason } => format!("{line}: {reason}"),
                });
                true
            },
        )
        .unwrap();
        assert_eq!(seen.len(), 1002);
        assert_eq!(seen[999], "1001: record");
        assert_eq!(seen[1000], "1002: is not valid UTF-8 text");
        assert_eq!(seen[1001], "1003: record");
    }

    /// A quoted field left open runs on over short lines: the record, not the line, is what
    /// the limit counts, and the error names the line where it starts.
    #[test]
    fn a_quoted_field_spanning_short_lines_past_the_limit_is_fatal() {
        let mut input = b"external_id,name\na,Ann\nb,\"Bob\n".to_vec();
        for _ in 0..(MAX_LINE_BYTES / 3 + 10) {
            input.extend_from_slice(b"xy\n");
        }
        input.extend_from_slice(b"\"\nc,Cy\n");
        let mut records = 0;
        let e = read_all(&input[..], Format::Csv, Arc::new(AtomicU64::new(0)), |_| {
            records += 1;
            true
        })
        .unwrap_err();
        assert!(
            matches!(e.code(), "line_too_long" | "record_too_long"),
            "{e}"
        );
        let message = e.to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("quote"), "{message}");
        assert!(records <= 1, "nothing after the record is read");
    }

    #[test]
    fn the_guard_names_the_first_over_long_line() {
        let line = |n: usize| {
            let mut v = vec![b'x'; n];
            v.push(b'\n');
            v
        };
        let ok = [line(3), line(MAX_LINE_BYTES), line(0)].concat();
        assert!(guarded(ok).is_ok(), "a line of exactly the limit is fine");
        let bad = [line(3), line(5), line(MAX_LINE_BYTES + 1), line(2)].concat();
        assert!(matches!(
            guarded(bad),
            Err(ImportError::LineTooLong { line: 3 })
        ));
        let last = [line(1), vec![b'y'; MAX_LINE_BYTES + 1]].concat();
        assert!(matches!(
            guarded(last),
            Err(ImportError::LineTooLong { line: 2 })
        ));
    }
}
