//! Regulator reports as PDF, made in-process: a [`Document`] is laid out on A4 pages
//! (`layout`, line breaking in `wrap`), its characters set in the fonts found at start-up
//! (`fonts`, `shape`), and written with subset, embedded fonts (`write`). No browser, no
//! external program, no layout engine: pdf-writer, ttf-parser and subsetter.
//!
//! How to use it:
//!
//! ```ignore
//! // Once, at start-up (TOCSIN_PDF_FONT is `Settings::pdf_font`):
//! let fonts = Fonts::discover(settings.pdf_font.as_deref())?; // cheap to clone (an Arc)
//! // Per report:
//! let bytes: Vec<u8> = pdf::render(&document, &fonts)?;
//! ```
//!
//! `render` is synchronous and CPU-bound: about 10 ms for a 300-row CJK report in a release
//! build, tens of milliseconds for thousands of rows; an async handler that may render long
//! reports should call it through `tokio::task::spawn_blocking` (with a clone of `Fonts`).
//! [`PdfError::Uncovered`] and [`PdfError::FontFile`] are the server's configuration, not
//! the client's input.
//!
//! Text is extractable (`pdftotext` gives it back, CJK included: every embedded font has a
//! ToUnicode map). The same document always gives the same bytes (see `write`), so a
//! report's SHA-256 can be checked by rendering it again. A character that no font has is
//! an error naming it and its page ([`PdfError::Uncovered`]), never a silent gap.
mod fonts;
mod layout;
mod shape;
mod wrap;
mod write;

use crate::regulation::document::Document;
pub use fonts::Fonts;
pub use layout::NOT_KNOWN;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot use the font {path}: {reason}; set TOCSIN_PDF_FONT to a TrueType/OpenType font (.ttf, .otf, .ttc)")]
    FontFile { path: PathBuf, reason: String },
    #[error("no font covers the characters '{chars}' on page {page}; set TOCSIN_PDF_FONT to a TrueType/OpenType font that does ({hint})")]
    Uncovered {
        /// The first few distinct characters that no font has.
        chars: String,
        /// The first page they are on.
        page: usize,
        /// Where such a font may be found.
        hint: &'static str,
    },
    #[error("cannot embed the font {font}: {reason}")]
    Subset { font: String, reason: String },
}

/// `doc` as a PDF.
pub fn render(doc: &Document, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    let set = shape::FontSet::new(fonts, &doc.language);
    let laid = layout::layout(doc, &set);
    if let Some(&(_, page)) = laid.uncovered.first() {
        let mut chars: Vec<char> = Vec::new();
        for (c, _) in &laid.uncovered {
            if !chars.contains(c) {
                chars.push(*c);
            }
        }
        let cjk = chars.iter().any(|c| shape::is_wide(*c));
        let mut shown: String = chars.iter().take(8).collect();
        if chars.len() > 8 {
            shown.push('…');
        }
        return Err(PdfError::Uncovered {
            chars: shown,
            page,
            hint: if cjk {
                "Debian: apt-get install fonts-noto-cjk"
            } else {
                "such as the Noto Sans font for that script; Debian: apt-get install fonts-noto-core"
            },
        });
    }
    write::write(doc, &set, &laid)
}

#[cfg(test)]
mod tests;
