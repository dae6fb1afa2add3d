//! Laid-out pages to PDF bytes. Each font file is subset to the glyphs used and embedded as a
//! Type0 font (Identity-H; CIDFontType0 with a bare CFF program for OpenType/CFF such as Noto
//! Sans CJK, CIDFontType2 for TrueType) with a ToUnicode map, so text can be extracted and
//! searched; Helvetica is referenced, not embedded. Streams are Flate-compressed.
//!
//! Same document, same bytes: object numbers follow the layout, subset tags are hashes of the
//! subset, the dates are the document's `generated_at`, and there is no random file id.
use super::layout::{Layout, Op, Page, PAGE_H, PAGE_W};
use super::shape::{Face, FontSet};
use super::PdfError;
use crate::regulation::document::Document;
use chrono::{Datelike, Timelike};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::Digest;
use std::collections::BTreeMap;

const IDENTITY: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// How a used font's glyphs are written in content streams.
enum Encoding {
    /// Two bytes per glyph: the glyph's id in the subset.
    Cid(subsetter::GlyphRemapper),
    /// One byte: the WinAnsi code.
    WinAnsi,
}

pub fn write(doc: &Document, set: &FontSet, laid: &Layout) -> Result<Vec<u8>, PdfError> {
    let pages = &laid.pages;
    // Every glyph used, per font, with the first character it stood for (for ToUnicode).
    let mut used: BTreeMap<u8, BTreeMap<u16, char>> = BTreeMap::new();
    for op in pages.iter().flat_map(|p| &p.ops) {
        if let Op::Text { glyphs, .. } = op {
            for g in glyphs.iter().filter(|g| g.font != super::shape::UNCOVERED) {
                used.entry(g.font).or_default().entry(g.gid).or_insert(g.ch);
            }
        }
    }

    let mut pdf = Pdf::new();
    let mut refs = Refs(0);
    let catalog = refs.next();
    let tree = refs.next();
    let info = refs.next();

    let mut fonts: BTreeMap<u8, (Ref, Encoding)> = BTreeMap::new();
    for (&i, glyphs) in &used {
        let font_ref = refs.next();
        let encoding = match &set.faces[i as usize] {
            Face::Standard { bold } => {
                let name: &[u8] = if *bold {
                    b"Helvetica-Bold"
                } else {
                    b"Helvetica"
                };
                pdf.type1_font(font_ref)
                    .base_font(Name(name))
                    .encoding_predefined(Name(b"WinAnsiEncoding"));
                Encoding::WinAnsi
            }
            Face::Embedded { file, index, face } => {
                let mut remapper = subsetter::GlyphRemapper::new();
                for &gid in glyphs.keys() {
                    remapper.remap(gid);
                }
                embed(
                    &mut pdf, &mut refs, font_ref, file, *index, face, &remapper, glyphs,
                )?;
                Encoding::Cid(remapper)
            }
        };
        fonts.insert(i, (font_ref, encoding));
    }

    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (refs.next(), refs.next())).collect();
    let outline = (!laid.outline.is_empty()).then(|| {
        let root = refs.next();
        let items: Vec<Ref> = laid.outline.iter().map(|_| refs.next()).collect();
        (root, items)
    });
    let mut cat = pdf.catalog(catalog);
    cat.pages(tree).lang(TextStr(&doc.language));
    if let Some((root, _)) = &outline {
        cat.outlines(*root);
    }
    cat.finish();
    if let Some((root, items)) = &outline {
        pdf.outline(*root)
            .first(items[0])
            .last(items[items.len() - 1])
            .count(items.len() as i32);
        for (k, (title, page, y)) in laid.outline.iter().enumerate() {
            let mut item = pdf.outline_item(items[k]);
            item.title(TextStr(title)).parent(*root);
            if k > 0 {
                item.prev(items[k - 1]);
            }
            if k + 1 < items.len() {
                item.next(items[k + 1]);
            }
            item.dest()
                .page(page_refs[*page].0)
                .xyz(0.0, PAGE_H - y + 6.0, None);
        }
    }
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);
    for (page, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let content = deflate(&content(page, &fonts));
        let mut p = pdf.page(*page_ref);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(*content_ref);
        let mut res = p.resources();
        let mut dict = res.fonts();
        for (i, (r, _)) in &fonts {
            dict.pair(Name(format!("F{i}").as_bytes()), *r);
        }
        dict.finish();
        res.finish();
        p.finish();
        pdf.stream(*content_ref, &content)
            .filter(Filter::FlateDecode);
    }

    let t = doc.generated_at;
    let date = Date::new(t.year().clamp(0, 9999) as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    pdf.document_info(info)
        .title(TextStr(&doc.title))
        .subject(TextStr(&format!("{} — {}", doc.reference, doc.legal_basis)))
        .creator(TextStr("Tocsin"))
        .producer(TextStr("Tocsin"))
        .creation_date(date)
        .modified_date(date);
    Ok(pdf.finish())
}

#[allow(clippy::too_many_arguments)]
fn embed(
    pdf: &mut Pdf,
    refs: &mut Refs,
    type0: Ref,
    file: &super::fonts::FontFile,
    index: u32,
    face: &ttf_parser::Face,
    remapper: &subsetter::GlyphRemapper,
    glyphs: &BTreeMap<u16, char>,
) -> Result<(), PdfError> {
    let subset = subsetter::subset(&file.data, index, remapper).map_err(|e| PdfError::Subset {
        font: file.path.display().to_string(),
        reason: e.to_string(),
    })?;
    let cff = ttf_parser::RawFace::parse(&subset, 0)
        .ok()
        .and_then(|raw| raw.table(ttf_parser::Tag::from_bytes(b"CFF ")))
        .map(<[u8]>::to_vec);
    let is_cff = cff.is_some();
    let program = cff.unwrap_or(subset);

    // A subset is named TAG+PostScriptName, the tag from the subset's own bytes.
    let digest = sha2::Sha256::digest(&program);
    let tag: String = digest[..6]
        .iter()
        .map(|b| (b'A' + b % 26) as char)
        .collect();
    let ps = postscript_name(face).unwrap_or_else(|| "Font".into());
    let base = format!("{tag}+{ps}");

    let (cid_ref, descriptor, file_ref, cmap_ref) =
        (refs.next(), refs.next(), refs.next(), refs.next());
    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_ref)
        .to_unicode(cmap_ref);

    let scale = 1000.0 / face.units_per_em() as f32;
    let widths: Vec<f32> = remapper
        .remapped_gids()
        .map(|old| {
            face.glyph_hor_advance(ttf_parser::GlyphId(old))
                .unwrap_or(0) as f32
                * scale
        })
        .collect();
    let mut cid = pdf.cid_font(cid_ref);
    cid.subtype(if is_cff {
        CidFontType::Type0
    } else {
        CidFontType::Type2
    })
    .base_font(Name(base.as_bytes()))
    .system_info(IDENTITY)
    .font_descriptor(descriptor)
    .default_width(0.0);
    if !is_cff {
        cid.cid_to_gid_map_predefined(Name(b"Identity"));
    }
    cid.widths().consecutive(0, widths);
    cid.finish();

    let b = face.global_bounding_box();
    let mut d = pdf.font_descriptor(descriptor);
    d.name(Name(base.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            b.x_min as f32 * scale,
            b.y_min as f32 * scale,
            b.x_max as f32 * scale,
            b.y_max as f32 * scale,
        ))
        .italic_angle(face.italic_angle())
        .ascent(face.ascender() as f32 * scale)
        .descent(face.descender() as f32 * scale)
        .cap_height(face.capital_height().unwrap_or(face.ascender()) as f32 * scale)
        .stem_v(80.0);
    if is_cff {
        d.font_file3(file_ref);
    } else {
        d.font_file2(file_ref);
    }
    d.finish();

    let data = deflate(&program);
    let mut s = pdf.stream(file_ref, &data);
    s.filter(Filter::FlateDecode);
    if is_cff {
        s.pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
    } else {
        s.pair(Name(b"Length1"), program.len() as i32);
    }
    s.finish();

    let mut cmap = UnicodeCmap::new(Name(b"Tocsin-UTF16"), IDENTITY);
    for (&old, &ch) in glyphs {
        if let Some(new) = remapper.get(old) {
            cmap.pair(new, ch);
        }
    }
    let cmap = deflate(&cmap.finish());
    pdf.cmap(cmap_ref, &cmap).filter(Filter::FlateDecode);
    Ok(())
}

fn content(page: &Page, fonts: &BTreeMap<u8, (Ref, Encoding)>) -> Vec<u8> {
    let mut c = Content::new();
    for op in &page.ops {
        match op {
            Op::Fill { x, y, w, h, color } => {
                c.set_fill_rgb(color[0], color[1], color[2]);
                c.rect(*x, PAGE_H - y - h, *w, *h);
                c.fill_nonzero();
            }
            Op::Rule { x1, x2, y, color } => {
                c.set_stroke_rgb(color[0], color[1], color[2]);
                c.set_line_width(0.5);
                c.move_to(*x1, PAGE_H - y);
                c.line_to(*x2, PAGE_H - y);
                c.stroke();
            }
            Op::Text {
                x,
                y,
                size,
                color,
                glyphs,
            } => {
                if glyphs.is_empty() {
                    continue;
                }
                c.begin_text();
                c.set_fill_rgb(color[0], color[1], color[2]);
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, PAGE_H - y]);
                for run in glyphs.chunk_by(|a, b| a.font == b.font) {
                    let Some((_, enc)) = fonts.get(&run[0].font) else {
                        continue;
                    };
                    let mut bytes = Vec::with_capacity(run.len() * 2);
                    for g in run {
                        match enc {
                            Encoding::WinAnsi => bytes.push(g.gid as u8),
                            Encoding::Cid(m) => {
                                bytes.extend(m.get(g.gid).unwrap_or(0).to_be_bytes())
                            }
                        }
                    }
                    c.set_font(Name(format!("F{}", run[0].font).as_bytes()), *size);
                    c.show(Str(&bytes));
                }
                c.end_text();
            }
        }
    }
    c.finish().into_vec()
}

fn postscript_name(face: &ttf_parser::Face) -> Option<String> {
    let name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| {
            n.to_string()
                .or_else(|| std::str::from_utf8(n.name).ok().map(str::to_owned))
        })?;
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (!clean.is_empty()).then_some(clean)
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
