//! The fonts a PDF is set in: found once at start-up ([`Fonts::discover`]), kept in memory,
//! shared by every render (an `Arc` inside, so cloning is free).
//!
//! Order of use, per character: the font named by `TOCSIN_PDF_FONT` when set, then a Latin
//! family (DejaVu Sans, Noto Sans, Liberation Sans), then Noto Sans CJK (Debian's
//! `fonts-noto-cjk`), then the standard-14 Helvetica, which needs no file but only shows
//! WinAnsi (Western European) text. A character none of them has stops the render with
//! [`PdfError::Uncovered`]; nothing is dropped silently. In a font collection (`.ttc`) the
//! face is chosen per document by its language (Noto Sans CJK JP for `ja`, KR for `ko`, SC for
//! `zh-Hans`, TC for `zh-Hant`, HK for `zh-HK`): every face covers all of Chinese, Japanese
//! and Korean, but each draws the shared ideographs the way its region writes them.
use super::PdfError;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Latin families, each as (regular, bold), in order of preference.
const LATIN: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
];

/// Noto Sans CJK as Debian, Fedora and Arch install it, as (regular, bold).
const CJK: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    ),
    (
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    ),
];

/// The fonts found at start-up. Build it once (`Fonts::discover(settings.pdf_font.as_deref())`)
/// and pass it to every [`super::render`]; clones share the loaded files.
#[derive(Clone)]
pub struct Fonts(Arc<Inner>);

struct Inner {
    /// Fallback order for regular text.
    regular: Vec<FontFile>,
    /// Fallback order for headings and labels; regular files follow as a last resort.
    bold: Vec<FontFile>,
}

#[derive(Clone)]
pub(super) struct FontFile {
    pub path: PathBuf,
    pub data: Arc<Vec<u8>>,
    /// The faces of a collection with their family names; one entry for a plain font.
    faces: Vec<(u32, String)>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field(
                "regular",
                &self.0.regular.iter().map(|f| &f.path).collect::<Vec<_>>(),
            )
            .field(
                "bold",
                &self.0.bold.iter().map(|f| &f.path).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Fonts {
    /// Loads `configured` (TOCSIN_PDF_FONT: a .ttf, .otf, .ttc or .otc) when given, and the
    /// fonts found in the standard places. A configured file that cannot be read or is not a
    /// font is an error; finding no file at all is not (Helvetica is used, see the module).
    pub fn discover(configured: Option<&Path>) -> Result<Fonts, PdfError> {
        let mut regular = Vec::new();
        let mut bold = Vec::new();
        if let Some(path) = configured {
            let file = FontFile::load(path)?;
            regular.push(file.clone());
            bold.push(file);
        }
        for family in [LATIN, CJK] {
            if let Some((r, b)) = family.iter().find(|(r, _)| Path::new(r).is_file()) {
                // A standard file that turns out broken is skipped, not fatal: the next one
                // or Helvetica takes over, and the coverage check still holds.
                match FontFile::load(Path::new(r)) {
                    Ok(f) => regular.push(f),
                    Err(e) => tracing::warn!("PDF fonts: skipping {r}: {e}"),
                }
                if Path::new(b).is_file() {
                    match FontFile::load(Path::new(b)) {
                        Ok(f) => bold.push(f),
                        Err(e) => tracing::warn!("PDF fonts: skipping {b}: {e}"),
                    }
                }
            }
        }
        Ok(Fonts(Arc::new(Inner { regular, bold })))
    }

    /// Only the named files (regular, bold), nothing discovered; for tests and for a
    /// deployment that wants exactly one font.
    pub fn from_files(regular: &[&Path], bold: &[&Path]) -> Result<Fonts, PdfError> {
        let load = |ps: &[&Path]| -> Result<Vec<FontFile>, PdfError> {
            ps.iter().map(|p| FontFile::load(p)).collect()
        };
        Ok(Fonts(Arc::new(Inner {
            regular: load(regular)?,
            bold: load(bold)?,
        })))
    }

    /// No font file at all: Helvetica only (WinAnsi text).
    pub fn standard_only() -> Fonts {
        Fonts(Arc::new(Inner {
            regular: Vec::new(),
            bold: Vec::new(),
        }))
    }

    /// The files in use, regular first, for a start-up log line.
    pub fn files(&self) -> Vec<&Path> {
        let mut out: Vec<&Path> = Vec::new();
        for f in self.0.regular.iter().chain(&self.0.bold) {
            if !out.contains(&f.path.as_path()) {
                out.push(&f.path);
            }
        }
        out
    }

    /// True when some file can show Japanese kana (a proxy for CJK coverage).
    pub fn covers_cjk(&self) -> bool {
        self.0.regular.iter().any(|f| {
            ttf_parser::Face::parse(&f.data, f.faces[0].0)
                .ok()
                .and_then(|face| face.glyph_index('ハ'))
                .is_some()
        })
    }

    pub(super) fn chain(&self, bold: bool) -> Vec<&FontFile> {
        if bold {
            self.0.bold.iter().chain(&self.0.regular).collect()
        } else {
            self.0.regular.iter().collect()
        }
    }
}

impl FontFile {
    fn load(path: &Path) -> Result<FontFile, PdfError> {
        let bad = |reason: String| PdfError::FontFile {
            path: path.to_owned(),
            reason,
        };
        let data = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let count = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let mut faces = Vec::new();
        for index in 0..count {
            let face = ttf_parser::Face::parse(&data, index)
                .map_err(|e| bad(format!("not a TrueType/OpenType font ({e})")))?;
            let cff2 = ttf_parser::Tag::from_bytes(b"CFF2");
            if face.raw_face().table(cff2).is_some() {
                return Err(bad(
                    "CFF2 (variable) outlines are not supported; use a static font".into(),
                ));
            }
            faces.push((index, family_name(&face)));
        }
        if faces.is_empty() {
            return Err(bad("the collection holds no font".into()));
        }
        Ok(FontFile {
            path: path.to_owned(),
            data: Arc::new(data),
            faces,
        })
    }

    /// The face to use for a document in `language` (BCP 47): in a collection, the one whose
    /// family names the language's region, never a monospaced one when another exists.
    pub fn face_for(&self, language: &str) -> u32 {
        let lang = language.to_ascii_lowercase();
        let token = if lang.starts_with("ja") {
            "JP"
        } else if lang.starts_with("ko") {
            "KR"
        } else if lang.starts_with("zh") {
            if lang.contains("hk") || lang.contains("mo") {
                "HK"
            } else if lang.contains("hant") || lang.contains("tw") {
                "TC"
            } else {
                "SC"
            }
        } else {
            ""
        };
        let proportional = |name: &str| !name.contains("Mono");
        self.faces
            .iter()
            .find(|(_, n)| !token.is_empty() && proportional(n) && n.split(' ').any(|w| w == token))
            .or_else(|| self.faces.iter().find(|(_, n)| proportional(n)))
            .unwrap_or(&self.faces[0])
            .0
    }
}

fn family_name(face: &ttf_parser::Face) -> String {
    let names = face.names();
    for id in [
        ttf_parser::name_id::TYPOGRAPHIC_FAMILY,
        ttf_parser::name_id::FAMILY,
    ] {
        if let Some(n) = names
            .into_iter()
            .filter(|n| n.name_id == id && n.is_unicode())
            .find_map(|n| n.to_string())
        {
            return n;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cjk() -> Option<FontFile> {
        let p = Path::new(CJK[0].0);
        p.is_file().then(|| FontFile::load(p).unwrap())
    }

    #[test]
    fn a_collection_face_follows_the_documents_language() {
        let Some(f) = cjk() else {
            eprintln!("SKIPPED (no {})", CJK[0].0);
            return;
        };
        let family = |lang: &str| {
            let i = f.face_for(lang);
            f.faces.iter().find(|(x, _)| *x == i).unwrap().1.clone()
        };
        assert_eq!(family("ja"), "Noto Sans CJK JP");
        assert_eq!(family("ko-KR"), "Noto Sans CJK KR");
        assert_eq!(family("zh-Hans"), "Noto Sans CJK SC");
        assert_eq!(family("zh-Hant-TW"), "Noto Sans CJK TC");
        assert!(!family("en").contains("Mono"));
    }

    #[test]
    fn a_file_that_is_not_a_font_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.ttf");
        std::fs::write(&p, b"not a font").unwrap();
        let e = Fonts::discover(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("x.ttf") && e.contains("TrueType"), "{e}");
        let e = Fonts::discover(Some(&dir.path().join("absent.otf")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("absent.otf"), "{e}");
    }
}
