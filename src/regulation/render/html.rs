//! A standalone HTML page: everything escaped, no remote content, no script; headings per
//! section, fields as a table of row headers (`th scope="row"`), tables with column headers
//! (`th scope="col"`) and captions, the document's language on `<html lang>`, missing answers
//! marked in words (not only by colour).
use crate::regulation::document::{Document, Field, Item, Value};
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The local language of a bilingual report: a document in another language than English
/// has its labels as `English / local`; the page is English and the local halves are marked.
fn local_language(doc: &Document) -> Option<&str> {
    let l = doc.language.as_str();
    (!l.is_empty() && !l.eq_ignore_ascii_case("en") && !l.to_ascii_lowercase().starts_with("en-"))
        .then_some(l)
}

/// Escapes a label; in a bilingual report, the local half of `English / local` is marked with
/// its language, so screen readers and fonts pick the right one.
fn bilingual(text: &str, local: Option<&str>) -> String {
    match (local, text.rsplit_once(" / ")) {
        (Some(lang), Some((en, other))) => format!(
            "{} / <span lang=\"{lang}\">{}</span>",
            escape(en),
            escape(other)
        ),
        _ => escape(text),
    }
}

const STYLE: &str = "body{font-family:system-ui,'Noto Sans','Noto Sans CJK JP',sans-serif;\
line-height:1.5;margin:0;color:#111;background:#fff}main{max-width:60rem;margin:0 auto;\
padding:1rem}table{border-collapse:collapse;width:100%;margin:0 0 1rem}th,td{border:1px solid #999;\
padding:.4rem;text-align:left;vertical-align:top}th[scope=row]{width:40%;font-weight:600}\
.missing{background:#fff3cd}.pre{white-space:pre-wrap}.notices{border:2px solid #8a6d00;\
padding:.5rem 1rem}caption{text-align:left;font-weight:600}dt{font-weight:600}td,dd,li{overflow-wrap:anywhere}";

fn value(v: &Value, local: Option<&str>) -> String {
    match v {
        Value::Missing => {
            "<strong>Missing</strong>: not known to Tocsin; supply it before filing".to_owned()
        }
        Value::List(items) => {
            let mut s = String::from("<ul>");
            for i in items {
                let _ = write!(s, "<li>{}</li>", escape(i));
            }
            s.push_str("</ul>");
            s
        }
        Value::Text(t) if t.contains('\n') => {
            format!("<div class=\"pre\">{}</div>", escape(t))
        }
        // A fixed bilingual answer ("Preliminary report / 速報"); free text stays as it is.
        Value::Text(t) if t.rsplit_once(" / ").is_some_and(|(_, r)| !r.is_ascii()) => {
            bilingual(t, local)
        }
        other => escape(&other.display().unwrap_or_default()),
    }
}

fn fields(out: &mut String, run: &[&Field], local: Option<&str>) {
    if run.is_empty() {
        return;
    }
    out.push_str("<table><tbody>");
    for f in run {
        let class = if matches!(f.value, Value::Missing) {
            " class=\"missing\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td{class}>{}</td></tr>",
            bilingual(&f.label, local),
            value(&f.value, local)
        );
    }
    out.push_str("</tbody></table>");
}

pub fn render(doc: &Document) -> String {
    let local = local_language(doc);
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} ({})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(if local.is_some() { "en" } else { &doc.language }),
        escape(&doc.title),
        escape(&doc.reference)
    );
    let _ = write!(
        o,
        "<header>\n<h1>{}</h1>\n<p>{}</p>\n<dl>\n<dt>Incident</dt><dd>{}</dd>\n\
         <dt>Regime</dt><dd>{}</dd>\n<dt>Generated</dt><dd>{}</dd>\n",
        escape(&doc.title),
        escape(&doc.legal_basis),
        escape(&doc.reference),
        escape(&doc.regime),
        doc.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    if let Some(a) = &doc.addressee {
        let name = match &a.local_name {
            Some(local) => format!("{} ({})", a.name, local),
            None => a.name.clone(),
        };
        let _ = writeln!(o, "<dt>To</dt><dd>{}</dd>", escape(&name));
        for r in &a.routes {
            let _ = writeln!(o, "<dt>Route</dt><dd>{}</dd>", escape(r));
        }
        if let Some(v) = &a.verified_on {
            let _ = writeln!(o, "<dt>Route last verified</dt><dd>{}</dd>", escape(v));
        }
    }
    o.push_str("</dl>\n</header>\n");
    if !doc.notices.is_empty() {
        o.push_str(
            "<section class=\"notices\" aria-labelledby=\"notices\">\n\
             <h2 id=\"notices\">Before filing</h2>\n<ul>\n",
        );
        for n in &doc.notices {
            let _ = writeln!(o, "<li>{}</li>", escape(n));
        }
        o.push_str("</ul>\n</section>\n");
    }
    if !doc.missing.is_empty() {
        let _ = write!(
            o,
            "<section aria-labelledby=\"missing\">\n<h2 id=\"missing\">Not filled ({})</h2>\n<ul>\n",
            doc.missing.len()
        );
        for m in &doc.missing {
            let _ = writeln!(o, "<li><code>{}</code></li>", escape(m));
        }
        o.push_str("</ul>\n</section>\n");
    }
    for (n, s) in doc.sections.iter().enumerate() {
        let _ = write!(
            o,
            "<section aria-labelledby=\"s{n}\">\n<h2 id=\"s{n}\">{}</h2>\n",
            bilingual(&s.heading, local)
        );
        let mut run: Vec<&Field> = Vec::new();
        for item in &s.items {
            match item {
                Item::Field(f) => run.push(f),
                Item::Table(t) => {
                    fields(&mut o, &run, local);
                    run.clear();
                    let _ = write!(
                        o,
                        "<table>\n<caption>{}</caption>\n<thead><tr>",
                        escape(&t.caption)
                    );
                    for c in &t.columns {
                        let _ = write!(o, "<th scope=\"col\">{}</th>", escape(c));
                    }
                    o.push_str("</tr></thead>\n<tbody>\n");
                    for row in &t.rows {
                        o.push_str("<tr>");
                        for cell in row {
                            let _ = write!(o, "<td>{}</td>", escape(cell));
                        }
                        o.push_str("</tr>\n");
                    }
                    o.push_str("</tbody>\n</table>\n");
                }
                Item::Text { text } => {
                    fields(&mut o, &run, local);
                    run.clear();
                    let _ = writeln!(o, "<p class=\"pre\">{}</p>", escape(text));
                }
            }
        }
        fields(&mut o, &run, local);
        o.push_str("\n</section>\n");
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_half_of_a_label_carries_its_language() {
        assert_eq!(
            bilingual("Cause / 原因 <b>", Some("ja")),
            "Cause / <span lang=\"ja\">原因 &lt;b&gt;</span>"
        );
        assert_eq!(bilingual("A / B", None), "A / B");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
