//! Console form bodies (`application/x-www-form-urlencoded`), with repeated fields kept in
//! order (`channels=email&channels=sms`), and the error summary a bad form shows at its top.
use super::page::PageError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::{json, Value};

/// The fields of a posted form, in order.
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, or `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Every non-blank value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// The non-blank lines of a text area, or `None` when it holds none.
    pub fn lines(&self, name: &str) -> Option<Vec<String>> {
        let lines: Vec<String> = self
            .get(name)
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        (!lines.is_empty()).then_some(lines)
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<FormData, PageError> {
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(PageError::show(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send this form from the console's page.",
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            PageError::show(
                e.status(),
                "The form could not be read whole (too large, or it arrived too slowly).",
            )
        })?;
        Ok(FormData::parse(&body))
    }
}

/// A `datetime-local` value (`2026-11-25T09:00`, read as UTC) as RFC 3339; anything else is
/// passed on as typed, for the parser to judge.
pub fn instant(raw: &str) -> String {
    let t = raw.trim();
    // YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, nothing else.
    let local = (t.len() == 16 || t.len() == 19)
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    match (local, t.len()) {
        (true, 16) => format!("{t}:00Z"),
        (true, _) => format!("{t}Z"),
        _ => t.to_owned(),
    }
}

/// The error summary and per-field messages of a form: `{summary: [{field, message}],
/// fields: {field: message}}` (the first message of each field).
pub fn errors(fields: &[(String, String)]) -> Value {
    let mut per_field = serde_json::Map::new();
    for (f, m) in fields {
        per_field.entry(f.clone()).or_insert_with(|| json!(m));
    }
    json!({
        "summary": fields.iter().map(|(f, m)| json!({ "field": f, "message": m })).collect::<Vec<_>>(),
        "fields": per_field,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_keep_their_order_and_blanks_drop() {
        let f = FormData::parse(
            b"channels=sms&channels=&channels=email&systems=a%0D%0A%0D%0A+b+&t=+x+",
        );
        assert_eq!(f.all("channels"), ["sms", "email"]);
        assert_eq!(f.lines("systems").unwrap(), ["a", "b"]);
        assert_eq!(f.text("t").as_deref(), Some("x"));
        assert_eq!(f.text("none"), None);
        assert_eq!(f.lines("none"), None);
    }
}
