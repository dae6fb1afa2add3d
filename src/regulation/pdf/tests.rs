//! Layout (pagination, repeated table headers, missing values) with a fake font, and renders
//! with the real ones (skipped without them, except under CI=true).
use super::layout::{layout, Op, Page, NOT_KNOWN, PAGE_H};
use super::shape::{is_wide, Glyph, Measure};
use super::*;
use crate::regulation::document::{Addressee, Field, Item, Section, Table, Value};
use chrono::TimeZone;

/// Latin 500 wide, CJK 1000; every character "covered" by font 0.
struct Fake;

impl Measure for Fake {
    fn shape(&self, text: &str, _bold: bool) -> Vec<Glyph> {
        text.chars()
            .map(|ch| Glyph {
                ch,
                font: 0,
                gid: 0,
                adv: if is_wide(ch) { 1000.0 } else { 500.0 },
            })
            .collect()
    }
}

fn field(key: &str, label: &str, value: Value) -> Item {
    Item::Field(Field {
        key: key.into(),
        label: label.into(),
        value,
    })
}

pub(super) fn sample(rows: usize) -> Document {
    Document {
        regime: "JP-APPI".into(),
        title: "Personal data breach report 個人情報の漏えい等報告".into(),
        legal_basis: "Act on the Protection of Personal Information, Art. 26".into(),
        addressee: Some(Addressee {
            id: "jp-ppc".into(),
            name: "Personal Information Protection Commission".into(),
            local_name: Some("個人情報保護委員会".into()),
            routes: vec!["https://www.ppc.go.jp/".into(), "03-6457-9849".into()],
            verified_on: Some("2026-10-01".into()),
        }),
        incident_id: 12,
        reference: "TOCSIN-12".into(),
        generated_at: chrono::Utc.with_ymd_and_hms(2026, 11, 30, 21, 5, 9).unwrap(),
        language: "ja".into(),
        notices: vec!["Rule JP-APPI is unverified: check it against the source before filing.".into()],
        sections: vec![
            Section {
                key: "nature".into(),
                heading: "Nature of the breach".into(),
                items: vec![
                    field("summary", "What happened", Value::Text("Ransomware encrypted the customer database; 個人情報の漏えい等報告; 개인정보 유출 신고; 个人信息泄露.".into())),
                    field("subjects_affected", "Number of people affected", Value::Number(1_234)),
                    field("discovered_at", "When it was discovered", Value::Time(chrono::Utc.with_ymd_and_hms(2026, 11, 28, 9, 30, 0).unwrap())),
                    field("cross_border", "Were people abroad affected?", Value::Bool(true)),
                    field("categories", "Data categories", Value::List(vec!["names".into(), "e-mail addresses".into()])),
                    field("cause", "Root cause", Value::Missing),
                ],
            },
            Section {
                key: "population".into(),
                heading: "Affected people by region".into(),
                items: vec![
                    Item::Text { text: "The table lists every region with its count.\nSecond line of the explanation.".into() },
                    Item::Table(Table {
                        key: "regions".into(),
                        caption: "People per region".into(),
                        columns: vec!["Region".into(), "Country".into(), "People".into()],
                        rows: (1..=rows)
                            .map(|i| vec![format!("Region {i} 地域{i}"), ["JP", "KR", "CN"][i % 3].into(), (i * 7).to_string()])
                            .collect(),
                    }),
                ],
            },
        ],
        missing: vec!["nature.cause".into()],
    }
}

fn page_text(p: &Page) -> String {
    p.ops
        .iter()
        .filter_map(|op| match op {
            Op::Text { glyphs, .. } => Some(glyphs.iter().map(|g| g.ch).collect::<String>()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_long_table_paginates_repeating_its_header_and_loses_no_row() {
    let laid = layout(&sample(300), &Fake);
    let n = laid.pages.len();
    assert!(n >= 6, "300 rows take several pages, got {n}");
    let texts: Vec<String> = laid.pages.iter().map(page_text).collect();
    for i in 1..=300 {
        let cell = format!("Region {i} 地域{i}");
        let found: usize = texts
            .iter()
            .map(|t| t.lines().filter(|l| *l == cell).count())
            .sum();
        assert_eq!(found, 1, "{cell} appears once");
    }
    for (k, t) in texts.iter().enumerate() {
        assert!(t.contains(&format!("Page {} of {n}", k + 1)), "page {k}");
        if k > 0 && k + 1 < n {
            assert!(t.contains("People per region (continued)"), "page {k}: {t}");
            assert!(t.lines().any(|l| l == "Region") && t.lines().any(|l| l == "People"));
        }
    }
}

#[test]
fn nothing_is_placed_outside_the_page_body() {
    let laid = layout(&sample(300), &Fake);
    for (k, p) in laid.pages.iter().enumerate() {
        for op in &p.ops {
            if let Op::Text {
                x, y, size, glyphs, ..
            } = op
            {
                let w: f32 = glyphs.iter().map(|g| g.adv).sum::<f32>() * size / 1000.0;
                assert!(*x >= 56.0 && x + w <= 595.3 - 56.0, "page {k}: {x}+{w}");
                assert!(*y > 56.0 && *y < PAGE_H - 30.0, "page {k}: y {y}");
            }
        }
    }
}

#[test]
fn missing_values_are_visible_and_listed_at_the_end() {
    let laid = layout(&sample(3), &Fake);
    let all: String = laid.pages.iter().map(page_text).collect();
    let marks: Vec<&str> = laid.outline.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        marks,
        [
            "Nature of the breach",
            "Affected people by region",
            "Fields to complete"
        ]
    );
    assert!(all.contains(NOT_KNOWN));
    assert!(all.contains("Fields to complete"));
    assert!(all.contains("• nature.cause — Root cause"), "{all}");
    assert!(all.contains("• names\n• e-mail addresses"));
    assert!(all.contains("Yes") && all.contains("1234") && all.contains("2026-11-28 09:30 UTC"));
}

#[test]
fn text_taller_than_a_page_is_split_between_lines() {
    let mut doc = sample(0);
    let long: Vec<String> = (1..=150).map(|i| format!("line {i}")).collect();
    doc.sections[1].items = vec![Item::Text {
        text: long.join("\n"),
    }];
    let laid = layout(&doc, &Fake);
    let all: Vec<String> = laid.pages.iter().map(page_text).collect();
    assert!(laid.pages.len() >= 3);
    for i in 1..=150 {
        let l = format!("line {i}");
        assert_eq!(
            all.iter()
                .map(|t| t.lines().filter(|x| *x == l).count())
                .sum::<usize>(),
            1
        );
    }
}

#[test]
fn helvetica_alone_renders_latin_and_refuses_cjk_naming_the_characters_and_page() {
    let fonts = Fonts::standard_only();
    let mut doc = sample(0);
    doc.title = "Breach report".into();
    doc.language = "en".into();
    doc.addressee = None;
    doc.sections.truncate(0);
    let pdf = render(&doc, &fonts).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.windows(9).any(|w| w == b"Helvetica"));

    doc.sections.push(Section {
        key: "s".into(),
        heading: "S".into(),
        items: vec![field("f", "F", Value::Text("ハロー 한".into()))],
    });
    let e = render(&doc, &fonts).unwrap_err().to_string();
    assert!(e.contains("'ハロー한'") && e.contains("page 1"), "{e}");
    assert!(
        e.contains("TOCSIN_PDF_FONT") && e.contains("apt-get install fonts-noto-cjk"),
        "{e}"
    );
    doc.sections[0].items = vec![field("f", "F", Value::Text("สวัสดี".into()))];
    let e = render(&doc, &fonts).unwrap_err().to_string();
    assert!(e.contains("'สวัดี'") && e.contains("fonts-noto-core"), "{e}"); // distinct characters
}

/// The fonts of this machine, or a skip (a failure under CI=true).
pub(super) fn real_fonts() -> Option<Fonts> {
    let fonts = Fonts::discover(None).expect("discover");
    if fonts.covers_cjk() {
        return Some(fonts);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true needs fonts-noto-cjk (NotoSansCJK-Regular.ttc)");
    }
    eprintln!("SKIPPED (no CJK font: apt-get install fonts-noto-cjk)");
    None
}

#[test]
fn a_cjk_document_renders_the_same_bytes_twice_with_subset_fonts() {
    let Some(fonts) = real_fonts() else { return };
    let doc = sample(20);
    let a = render(&doc, &fonts).unwrap();
    let b = render(&doc, &fonts.clone()).unwrap();
    assert!(a == b, "rendering is deterministic");
    assert!(a.len() < 200_000, "fonts are subset: {} bytes", a.len());
    let has = |s: &[u8]| a.windows(s.len()).any(|w| w == s);
    assert!(has(b"/Identity-H") && has(b"/ToUnicode") && has(b"/CIDFontType0C"));
    assert!(has(b"NotoSansCJKjp"), "the face follows the language (ja)");
    assert!(
        has(b"/Outlines") && has(b"/XYZ"),
        "bookmarks to the sections"
    );
}

/// `cargo test --release --lib regulation::pdf::tests::bench -- --ignored --nocapture`:
/// render time and size of a 300-row CJK report; the PDF is left in the temp folder.
#[test]
#[ignore = "a measurement, not a check"]
fn bench() {
    let Some(fonts) = real_fonts() else { return };
    let doc = sample(300);
    let mut times = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        bytes = render(&doc, &fonts).unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    let path = std::env::temp_dir().join("tocsin-300-rows.pdf");
    std::fs::write(&path, &bytes).unwrap();
    println!(
        "300-row CJK report: {} bytes, render min {:?}, median {:?} (20 runs); {}",
        bytes.len(),
        times[0],
        times[10],
        path.display()
    );
}

#[test]
fn narrow_columns_keep_their_width_and_wide_ones_share_the_rest() {
    use super::layout::column_widths;
    let g = |s: &str| Fake.shape(s, false);
    // At 10 pt a Latin character is 5 pt wide (+6 pt padding per cell).
    let header = vec![g("No"), g("Description"), g("Notes")];
    let long = "x".repeat(200);
    let rows = vec![vec![g("1"), g(&long), g(&long)]];
    let w = column_widths(&header, &rows, 480.0, 10.0);
    assert!((w.iter().sum::<f32>() - 480.0).abs() < 0.01, "{w:?}");
    assert_eq!(w[0], 36.0, "the minimum, as its content is narrower");
    assert!(
        (w[1] - w[2]).abs() < 0.01,
        "equal content, equal share: {w:?}"
    );
    // When everything fits, columns grow in proportion to their content.
    let w = column_widths(&[g("abcdefgh"), g("abcdefghijklmnop")], &[], 480.0, 10.0);
    assert!(
        (w.iter().sum::<f32>() - 480.0).abs() < 0.01 && w[1] > w[0],
        "{w:?}"
    );
}

#[test]
fn the_configured_font_is_used_first() {
    let path =
        std::path::Path::new("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf");
    if !path.is_file() {
        eprintln!("SKIPPED (no {})", path.display());
        return;
    }
    let fonts = Fonts::discover(Some(path)).unwrap();
    assert_eq!(fonts.files()[0], path);
    let mut doc = sample(2);
    doc.language = "en".into();
    let pdf = render(&doc, &fonts).unwrap();
    let has = |s: &[u8]| pdf.windows(s.len()).any(|w| w == s);
    assert!(has(b"+LiberationSans"), "Latin text in the configured font");
}

#[test]
fn odd_documents_render_and_keep_every_visible_character() {
    let fonts = Fonts::standard_only();
    let mut doc = sample(0);
    doc.title = String::new();
    doc.language = "en".into();
    doc.addressee = None;
    doc.notices.clear();
    doc.missing = vec!["nowhere.nothing".into()];
    let word = "x".repeat(3_000);
    doc.sections = vec![
        Section {
            key: "empty".into(),
            heading: String::new(),
            items: vec![],
        },
        Section {
            key: "odd".into(),
            heading: "Odd\tinput\r\nhere".into(),
            items: vec![
                field("blank", "", Value::Text(String::new())),
                field("none", "Nothing listed", Value::List(vec![])),
                field("long", "One long word", Value::Text(word.clone())),
                field(
                    "ctl",
                    "Controls",
                    Value::Text("a\u{7}b\u{200B}c\u{FEFF}d\u{AD}e".into()),
                ),
                field(
                    "nfd",
                    "Decomposed",
                    Value::Text("Cafe\u{301} Zu\u{308}rich".into()),
                ),
                Item::Table(Table {
                    key: "ragged".into(),
                    caption: "Ragged".into(),
                    columns: vec!["One".into()],
                    rows: vec![vec![], vec!["1".into(), "extra".into(), "more".into()]],
                }),
                Item::Table(Table {
                    key: "none".into(),
                    caption: "No columns".into(),
                    columns: vec![],
                    rows: vec![],
                }),
            ],
        },
    ];
    let pdf = render(&doc, &fonts).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"));
    let laid = layout(&doc, &super::shape::FontSet::new(&fonts, "en"));
    let all: String = laid.pages.iter().map(page_text).collect();
    let xs: usize = all
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c == 'x'))
        .map(str::len)
        .sum();
    assert_eq!(xs, 3_000, "the long word is broken, not cut");
    assert!(all.contains("a b\ncde") || all.contains("a bcde"), "{all}");
    assert!(
        all.contains("extra") && all.contains("more"),
        "no cell is dropped"
    );
    assert!(all.contains("• nowhere.nothing"));
    assert!(
        all.contains("Café Zürich"),
        "composed, so Helvetica can show it"
    );
    assert!(all.contains("None"));
}

#[test]
fn a_column_of_numbers_is_right_aligned_with_its_header() {
    let laid = layout(&sample(30), &Fake);
    let mut edges = Vec::new();
    for op in laid.pages.iter().flat_map(|p| &p.ops) {
        if let Op::Text {
            x, size, glyphs, ..
        } = op
        {
            let text: String = glyphs.iter().map(|g| g.ch).collect();
            // From the table's header on (the field "1234" before it is not in a table).
            if text == "People" || (!edges.is_empty() && text.parse::<u32>().is_ok()) {
                edges.push(x + glyphs.iter().map(|g| g.adv).sum::<f32>() * size / 1000.0);
            }
        }
    }
    assert!(edges.len() > 30, "{}", edges.len());
    for e in &edges {
        assert!((e - edges[0]).abs() < 0.01, "{edges:?}");
    }
}
