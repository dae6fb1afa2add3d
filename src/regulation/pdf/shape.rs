//! From characters to glyphs: each character goes to the first font of its style's fallback
//! chain that has it, with that glyph's advance. One glyph per character (no shaping engine):
//! right for Latin, Greek, Cyrillic, Chinese, Japanese and Korean (precomposed Hangul); scripts
//! that need contextual shaping (Arabic, Indic) are not laid out properly.
use super::fonts::{FontFile, Fonts};

/// Font index of a character no font has (the render fails with its page).
pub const UNCOVERED: u8 = u8::MAX;

/// One character, placed: its font (an index into [`FontSet::faces`]), its glyph there (for
/// the standard fonts: its WinAnsi code) and its advance in thousandths of the font size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub ch: char,
    pub font: u8,
    pub gid: u16,
    pub adv: f32,
}

/// Turns text into glyphs; the layout knows nothing else of fonts (tests use a fake).
pub trait Measure {
    fn shape(&self, text: &str, bold: bool) -> Vec<Glyph>;
}

// A handful per render, in a Vec: the size of ttf-parser's face does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Face<'a> {
    Embedded {
        file: &'a FontFile,
        index: u32,
        face: ttf_parser::Face<'a>,
    },
    /// Helvetica (or Helvetica-Bold), WinAnsiEncoding.
    Standard { bold: bool },
}

/// The fonts of one render, parsed from [`Fonts`] for the document's language.
pub struct FontSet<'a> {
    pub faces: Vec<Face<'a>>,
    regular: Vec<u8>,
    bold: Vec<u8>,
}

impl<'a> FontSet<'a> {
    pub fn new(fonts: &'a Fonts, language: &str) -> FontSet<'a> {
        let mut set = FontSet {
            faces: Vec::new(),
            regular: Vec::new(),
            bold: Vec::new(),
        };
        for bold in [false, true] {
            let mut chain = Vec::new();
            for file in fonts.chain(bold) {
                let index = file.face_for(language);
                let at = set.faces.iter().position(|f| {
                    matches!(f, Face::Embedded { file: g, index: i, .. }
                        if g.path == file.path && *i == index)
                });
                let at = match at {
                    Some(at) => at,
                    None => match ttf_parser::Face::parse(&file.data, index) {
                        // Parsed once at discovery; cannot fail here, but never panic.
                        Err(_) => continue,
                        Ok(face) => {
                            set.faces.push(Face::Embedded { file, index, face });
                            set.faces.len() - 1
                        }
                    },
                };
                if !chain.contains(&at) {
                    chain.push(at);
                }
            }
            set.faces.push(Face::Standard { bold });
            chain.push(set.faces.len() - 1);
            if bold {
                // Regular Helvetica has the same coverage; bold is enough.
                set.bold = chain.into_iter().map(|i| i as u8).collect();
            } else {
                set.regular = chain.into_iter().map(|i| i as u8).collect();
            }
        }
        set
    }

    fn glyph(&self, ch: char, bold: bool) -> Glyph {
        let chain = if bold { &self.bold } else { &self.regular };
        for &i in chain {
            match &self.faces[i as usize] {
                Face::Embedded { face, .. } => {
                    if let Some(g) = face.glyph_index(ch).filter(|g| g.0 != 0) {
                        let adv = face.glyph_hor_advance(g).unwrap_or(0) as f32 * 1000.0
                            / face.units_per_em() as f32;
                        return Glyph {
                            ch,
                            font: i,
                            gid: g.0,
                            adv,
                        };
                    }
                }
                Face::Standard { bold } => {
                    if let Some(code) = winansi(ch) {
                        return Glyph {
                            ch,
                            font: i,
                            gid: code as u16,
                            adv: helvetica_width(ch, *bold),
                        };
                    }
                }
            }
        }
        Glyph {
            ch,
            font: UNCOVERED,
            gid: 0,
            adv: if is_wide(ch) { 1000.0 } else { 556.0 },
        }
    }
}

impl Measure for FontSet<'_> {
    fn shape(&self, text: &str, bold: bool) -> Vec<Glyph> {
        text.chars().map(|c| self.glyph(c, bold)).collect()
    }
}

/// Characters laid out one by one as ideographs are: CJK ideographs, kana, Hangul, CJK
/// punctuation and full-width forms.
pub fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31FF
        | 0x3200..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Default-ignorable formatting characters that draw nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0xAD | 0x34F | 0x61C | 0x180B..=0x180F | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x206F | 0xFE00..=0xFE0F | 0xFEFF | 0xE0000..=0xE0FFF)
}

/// The WinAnsiEncoding code of `c`, if it has one.
pub fn winansi(c: char) -> Option<u8> {
    let u = c as u32;
    if (0x20..=0x7E).contains(&u) || (0xA0..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// Helvetica's advance widths (Adobe's AFM) for ASCII 32..=126.
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// Helvetica's width of a WinAnsi character: exact for ASCII; for the rest, that of its
/// base letter (é as e) or of a typical character; close enough to wrap lines.
fn helvetica_width(c: char, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let ascii = |c: char| {
        let u = c as u32;
        (0x20..=0x7E)
            .contains(&u)
            .then(|| table[(u - 0x20) as usize] as f32)
    };
    if let Some(w) = ascii(c) {
        return w;
    }
    match c {
        '\u{A0}' => 278.0,
        '—' | '‰' | 'Œ' | 'œ' | '™' => 1000.0,
        '…' => 1000.0,
        _ => {
            let base = deunicode::deunicode_char(c).unwrap_or("");
            let mut cs = base.chars();
            match (cs.next(), cs.next()) {
                (Some(b), None) => ascii(b).unwrap_or(556.0),
                _ => 556.0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winansi_covers_latin_1_and_the_windows_extras_only() {
        assert_eq!(winansi('A'), Some(b'A'));
        assert_eq!(winansi('é'), Some(0xE9));
        assert_eq!(winansi('€'), Some(0x80));
        assert_eq!(winansi('—'), Some(0x97));
        assert_eq!(winansi('ハ'), None);
        assert_eq!(winansi('Ł'), None);
        assert_eq!(winansi('\u{7F}'), None);
    }

    #[test]
    fn helvetica_only_shows_what_winansi_encodes() {
        let fonts = Fonts::standard_only();
        let set = FontSet::new(&fonts, "en");
        let g = set.shape("Aé個", false);
        assert_eq!(g[0].adv, 667.0);
        assert_eq!(g[1].gid, 0xE9);
        assert_eq!(g[1].adv, 556.0, "as its base letter e");
        assert_eq!(g[2].font, UNCOVERED);
        let bold = set.shape("A", true);
        assert_ne!(bold[0].font, g[0].font, "Helvetica-Bold is its own font");
    }
}
