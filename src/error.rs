//! Errors that reach HTTP.
//!
//! Policy: `anyhow` with `.context()` in the CLI, the dispatcher and exporters; a concrete error
//! where one kind can occur (`domain::Invalid`, `config::ConfigError`); `AppError` for anything
//! that reaches a client. Internal errors are logged once, here, and never shown.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 422: fields failed validation; `details` maps field name to reason.
    #[error("validation failed")]
    Validation(Vec<(String, String)>),
    /// 422 with its own code: well-formed, but not acceptable as it stands.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// 401: no valid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 403: the account's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404
    #[error("{0} not found")]
    NotFound(String),
    /// 404 with its own code and details (e.g. an unknown jurisdiction).
    #[error("{message}")]
    Unknown {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 409 with details (what must change first, e.g. the elements notices lack).
    #[error("{message}")]
    ConflictDetails {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 413
    #[error("{0}")]
    TooLarge(String),
    /// 415
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 500: logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        AppError::Validation(vec![(field.into(), reason.into())])
    }

    /// The HTTP status this error answers with (the console shows it on its error page).
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Validation(_) | AppError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::Unknown { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::ConflictDetails { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = match self {
            AppError::BadRequest {
                code,
                message,
                details,
            } => (StatusCode::BAD_REQUEST, code, message, details),
            AppError::Validation(fields) => {
                let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                let message = format!("invalid fields: {}", names.join(", "));
                let details: serde_json::Map<String, Value> = fields
                    .into_iter()
                    .map(|(f, r)| (f, Value::String(r)))
                    .collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    message,
                    Value::Object(details),
                )
            }
            AppError::Unprocessable { code, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, code, message, Value::Null)
            }
            AppError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send a valid API token as 'Authorization: Bearer <token>'".into(),
                Value::Null,
            ),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, Value::Null),
            AppError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
                Value::Null,
            ),
            AppError::Unknown {
                code,
                message,
                details,
            } => (StatusCode::NOT_FOUND, code, message, details),
            AppError::Conflict { code, message } => {
                (StatusCode::CONFLICT, code, message, Value::Null)
            }
            AppError::ConflictDetails {
                code,
                message,
                details,
            } => (StatusCode::CONFLICT, code, message, details),
            AppError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m, Value::Null),
            AppError::UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                m,
                Value::Null,
            ),
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the server log has the details".into(),
                    Value::Null,
                )
            }
        };
        let mut body = json!({ "error": { "code": code, "message": message } });
        if !details.is_null() {
            body["error"]["details"] = details;
        }
        (status, axum::Json(body)).into_response()
    }
}

// Each capability's errors, mapped to HTTP here and nowhere else.

impl From<crate::domain::Corrupt> for AppError {
    fn from(c: crate::domain::Corrupt) -> Self {
        AppError::Internal(c.into())
    }
}

impl From<crate::incidents::IncidentError> for AppError {
    fn from(e: crate::incidents::IncidentError) -> Self {
        use crate::incidents::IncidentError as E;
        match e {
            E::NotFound(id) => AppError::NotFound(format!("incident {id}")),
            E::Invalid(fields) => AppError::Validation(fields),
            E::IllegalMove(why) => AppError::conflict("illegal_status_change", why),
            e @ E::Closed => AppError::conflict("incident_closed", e.to_string()),
            E::Corrupt(c) => c.into(),
            E::Db(db) => db.into(),
        }
    }
}

impl From<crate::notices::NoticeError> for AppError {
    fn from(e: crate::notices::NoticeError) -> Self {
        use crate::notices::NoticeError as E;
        let message = e.to_string();
        match e {
            E::Incident(i) => i.into(),
            E::NotComposed => AppError::conflict("not_composed", message),
            E::Stale(_) => AppError::conflict("stale_notices", message),
            E::CompositionMismatch { .. } => AppError::conflict("stale_composition", message),
            E::FourEyes => AppError::Forbidden(message),
            E::AlreadyApproved => AppError::conflict("already_approved", message),
            E::Incomplete(missing) => AppError::ConflictDetails {
                code: "incomplete_notices",
                message,
                details: json!({ "missing": missing }),
            },
            E::NotApproved => AppError::conflict("not_approved", message),
            E::AlreadyDispatched => AppError::conflict("already_dispatched", message),
            E::Closed => AppError::conflict("incident_closed", message),
            E::NoPopulation => AppError::conflict("no_population", message),
            E::SubjectNotFound(s) => AppError::NotFound(format!("subject '{s}'")),
            E::Invalid { field, reason } => AppError::field(field, reason),
            E::Render(r) => AppError::Internal(r),
            E::Db(db) => db.into(),
        }
    }
}

impl From<crate::population::PopulationError> for AppError {
    fn from(e: crate::population::PopulationError) -> Self {
        use crate::population::PopulationError as E;
        let message = e.to_string();
        match e {
            E::Incident(i) => i.into(),
            E::Closed => AppError::conflict("incident_closed", message),
            E::AlreadyDispatched => AppError::conflict("already_dispatched", message),
            E::Ambiguous => AppError::bad_request("invalid_body", message),
            E::Invalid(fields) => AppError::Validation(fields),
            E::Db(db) => db.into(),
        }
    }
}

impl From<crate::delivery::DispatchError> for AppError {
    fn from(e: crate::delivery::DispatchError) -> Self {
        use crate::delivery::DispatchError as E;
        match e {
            E::Notice(n) => n.into(),
            E::State(why) => AppError::conflict("delivery_state", why),
            E::Invalid { field, reason } => AppError::field(field, reason),
            E::Db(db) => db.into(),
        }
    }
}

impl From<crate::regulation::obligations::ObligationError> for AppError {
    fn from(e: crate::regulation::obligations::ObligationError) -> Self {
        use crate::regulation::obligations::ObligationError as E;
        let message = e.to_string();
        match e {
            E::Incident(i) => i.into(),
            E::NotFound(id) => AppError::NotFound(format!("obligation {id}")),
            E::NotRequired(_) => AppError::conflict("not_required", message),
            E::AlreadyDone(_) => AppError::conflict("already_done", message),
            E::Invalid(fields) => AppError::Validation(fields),
            E::Db(db) => db.into(),
        }
    }
}
