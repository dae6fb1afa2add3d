//! PDF reports read back by an independent tool: `pdftotext -layout` (Debian's
//! poppler-utils) must return every label, value and table row, Chinese, Japanese and Korean
//! included, and the page numbers; the same document must give the same bytes. Without
//! pdftotext or a CJK font (fonts-noto-cjk) the tests are skipped with a message, except under
//! `CI=true`, where they fail.
use chrono::TimeZone;
use std::process::Command;
use tocsin::regulation::document::{Addressee, Document, Field, Item, Section, Table, Value};
use tocsin::regulation::pdf::{self, Fonts, NOT_KNOWN};

fn required(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the PDF text checks are required under CI=true, but {what}");
    }
    eprintln!("SKIPPED (PDF text checks: {what})");
}

/// The machine's fonts, if they cover CJK, and pdftotext, if installed.
fn tools() -> Option<Fonts> {
    let fonts = Fonts::discover(None).expect("font discovery");
    if !fonts.covers_cjk() {
        required("no CJK font (apt-get install fonts-noto-cjk)");
        return None;
    }
    if Command::new("pdftotext").arg("-v").output().is_err() {
        required("no pdftotext (apt-get install poppler-utils)");
        return None;
    }
    Some(fonts)
}

fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs of whitespace as one space, so columns and wrapped lines compare as words.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn field(key: &str, label: &str, value: Value) -> Item {
    Item::Field(Field {
        key: key.into(),
        label: label.into(),
        value,
    })
}

const JA: &str = "個人情報の漏えい等報告";
const KO: &str = "개인정보 유출 신고";
const ZH: &str = "个人信息泄露";

fn document(rows: usize) -> Document {
    let regions = ["東京都", "서울특별시", "广东省", "Bayern", "California"];
    Document {
        regime: "JP-APPI".into(),
        title: format!("Breach report — {JA}"),
        legal_basis: "Act on the Protection of Personal Information, Art. 26(1)".into(),
        addressee: Some(Addressee {
            id: "jp-ppc".into(),
            name: "Personal Information Protection Commission".into(),
            local_name: Some("個人情報保護委員会".into()),
            routes: vec!["https://www.ppc.go.jp/personalinfo/legal/leakAction/".into()],
            verified_on: Some("2026-10-01".into()),
        }),
        incident_id: 7,
        reference: "TOCSIN-7".into(),
        generated_at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
            .unwrap(),
        language: "ja".into(),
        notices: vec!["Draft: review every answer before filing.".into()],
        sections: vec![
            Section {
                key: "overview".into(),
                heading: "Overview 概要".into(),
                items: vec![
                    field("title_ja", "Report (Japanese)", Value::Text(JA.into())),
                    field("title_ko", "Report (Korean)", Value::Text(KO.into())),
                    field("title_zh", "Report (Chinese)", Value::Text(ZH.into())),
                    field("affected", "People affected", Value::Number(48_213)),
                    field(
                        "aware",
                        "Became aware",
                        Value::Time(
                            chrono::Utc
                                .with_ymd_and_hms(2026, 11, 27, 8, 15, 0)
                                .unwrap(),
                        ),
                    ),
                    field("encrypted", "Data encrypted", Value::Bool(false)),
                    field("cause", "Cause of the breach", Value::Missing),
                    field("measures", "Measures taken", Value::Missing),
                ],
            },
            Section {
                key: "population".into(),
                heading: "People by region".into(),
                items: vec![
                    Item::Text {
                        text: format!(
                            "Counts per region as of the report; {JA}、{KO}、{ZH}を含む。"
                        ),
                    },
                    Item::Table(Table {
                        key: "regions".into(),
                        caption: "Affected people per region".into(),
                        columns: vec!["No.".into(), "Region".into(), "People".into()],
                        rows: (1..=rows)
                            .map(|i| {
                                vec![
                                    format!("R{i:03}"),
                                    regions[i % 5].into(),
                                    (i * 37).to_string(),
                                ]
                            })
                            .collect(),
                    }),
                ],
            },
        ],
        missing: vec!["overview.cause".into(), "overview.measures".into()],
    }
}

#[test]
fn a_cjk_report_with_300_rows_reads_back_through_pdftotext() {
    let Some(fonts) = tools() else { return };
    let doc = document(300);
    let started = std::time::Instant::now();
    let bytes = pdf::render(&doc, &fonts).expect("render");
    let took = started.elapsed();
    let text = pdftotext(&bytes);
    let flat = words(&text);
    let pages = text.matches('\u{c}').count().max(1);
    eprintln!(
        "300-row CJK report: {} pages, {} bytes, rendered in {took:?} (this build's profile)",
        pages,
        bytes.len()
    );

    for s in [
        doc.title.as_str(),
        &doc.legal_basis,
        "Personal Information Protection Commission",
        "個人情報保護委員会",
        "Draft: review every answer before filing.",
        JA,
        KO,
        ZH,
        "Overview 概要",
        "People by region",
        NOT_KNOWN,
        "Fields to complete",
        "overview.cause — Cause of the breach",
        "overview.measures — Measures taken",
        "Page 1 of",
    ] {
        assert!(flat.contains(&words(s)), "missing {s:?} in:\n{text}");
    }
    for section in &doc.sections {
        for item in &section.items {
            if let Item::Field(f) = item {
                assert!(flat.contains(&f.label), "label {:?}", f.label);
                if let Some(v) = f.value.display() {
                    assert!(flat.contains(&v), "value {v:?}");
                }
            }
        }
    }
    // Every row, its cells in order on one line.
    let Item::Table(t) = &doc.sections[1].items[1] else {
        unreachable!()
    };
    let lines: Vec<String> = text.lines().map(words).collect();
    for row in &t.rows {
        let want = row.join(" ");
        assert!(lines.contains(&want), "row {want:?}");
    }
    assert!(pages >= 5, "300 rows paginate: {pages} pages");
    assert!(flat.contains(&format!("Page {pages} of {pages}")));
    assert!(flat.contains("Affected people per region (continued)"));
    // The wrapped paragraph comes back whole (lines joined).
    let prose = format!("Counts per region as of the report; {JA}、{KO}、{ZH}を含む。");
    let nospace = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert!(nospace(&text).contains(&nospace(&prose)));

    let again = pdf::render(&doc, &fonts).expect("render again");
    assert!(bytes == again, "the same document gives the same bytes");
}

#[test]
fn without_a_cjk_font_the_error_names_the_characters_and_the_page() {
    let doc = document(3);
    let err = pdf::render(&doc, &Fonts::standard_only()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("no font covers the characters '"), "{msg}");
    assert!(
        msg.contains("page 1") && msg.contains("TOCSIN_PDF_FONT"),
        "{msg}"
    );
    assert!(msg.contains("fonts-noto-cjk"), "{msg}");
}
