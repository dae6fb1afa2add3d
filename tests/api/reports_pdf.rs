//! Regulator reports as PDF over the API, a stored version and the command line, read back with
//! an independent tool (`pdftotext`, Debian's poppler-utils): the Japanese, Korean and Chinese
//! labels, the counts from the population, the fields to complete. Skipped with a message
//! without pdftotext or a CJK font, except under `CI=true`, where that fails.
use crate::helpers::TestApp;
use crate::obligations::{import, incident, people, scope};
use chrono::Duration;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::process::Command;

fn tools_present() -> bool {
    let fonts = tocsin::regulation::pdf::Fonts::discover(None).expect("font discovery");
    let ok = fonts.covers_cjk() && Command::new("pdftotext").arg("-v").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftotext and a CJK font (fonts-noto-cjk) are required under CI=true"
        );
        eprintln!("SKIPPED (PDF text checks: no pdftotext or no CJK font)");
    }
    ok
}

/// The PDF's text with all whitespace removed (lines wrap anywhere in CJK text).
fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn pdf(app: &TestApp, path: &str) -> Vec<u8> {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"), "{path}");
    bytes
}

async fn reports_read_back_from_the_pdf_in_every_script(app: TestApp) {
    if !tools_present() {
        return;
    }
    let places = [
        ("KR", 1200),
        ("JP", 9),
        ("CN", 11),
        ("DE", 300),
        ("US-CA", 600),
    ];
    import(&app, people("p", &places, 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    scope(
        &app,
        id,
        json!({"selector": {"countries": ["KR", "JP", "CN", "DE"]}}),
    )
    .await;
    scope(&app, id, json!({"selector": {"regions": ["US-CA"]}})).await;

    let cases: &[(&str, &[&str])] = &[
        (
            "JP-APPI",
            &[
                "個人データの漏えい等の報告",
                "事態の概要",
                "再発防止のための措置",
                "速報",
            ],
        ),
        (
            "KR-PIPA",
            &["개인정보 유출 등 신고", "유출된 정보주체의 수", "1200"],
        ),
        (
            "CN-PIPL",
            &["个人信息安全事件报告", "个人信息处理者采取的补救措施", "11"],
        ),
        (
            "EU-GDPR",
            &[
                "How many data subjects could be affected",
                "300",
                "Member passwords exposed",
            ],
        ),
        ("US-CA", &["Sample notice", "WHAT HAPPENED", "600"]),
    ];
    for (regime, expect) in cases {
        let bytes = pdf(
            &app,
            &format!("/api/v1/incidents/{id}/reports/{regime}?format=pdf"),
        )
        .await;
        let text = text_of(&bytes);
        for e in *expect {
            assert!(text.contains(&squash(e)), "{regime}: {e} not in {text}");
        }
        // The fields to complete are named in the PDF too.
        assert!(
            text.contains(&squash(tocsin::regulation::pdf::NOT_KNOWN)),
            "{regime}"
        );
        // Recorded with the hash of the bytes handed out.
        let (_, tl) = app
            .get(
                &format!("/api/v1/incidents/{id}/timeline"),
                &app.admin_token,
            )
            .await;
        let last = tl["events"]
            .as_array()
            .unwrap()
            .iter()
            .rfind(|e| e["kind"] == "report_generated")
            .unwrap()
            .clone();
        assert_eq!(last["details"]["format"], "pdf");
        assert_eq!(
            last["details"]["sha256"],
            hex::encode(Sha256::digest(&bytes))
        );
    }

    // A saved version renders to PDF from its stored document, the same bytes every time.
    let base = format!("/api/v1/incidents/{id}/reports/KR-PIPA/versions");
    let (status, v) = app
        .post_json(&base, &app.admin_token, &json!({"kind": "initial"}))
        .await;
    assert_eq!(status, 201, "{v}");
    let a = pdf(&app, &format!("{base}/1?format=pdf")).await;
    let b = pdf(&app, &format!("{base}/1?format=pdf")).await;
    assert_eq!(a, b);
    assert!(text_of(&a).contains(&squash("정보주체 통지 여부")));

    // And from the command line.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jp.pdf");
    let out = app.cli(&[
        "report",
        "export",
        "--incident",
        &id.to_string(),
        "--jurisdiction",
        "JP-APPI",
        "--format",
        "pdf",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text_of(&std::fs::read(&file).unwrap()).contains("事態の概要"));
}

crate::on_both_databases!(reports_read_back_from_the_pdf_in_every_script);
