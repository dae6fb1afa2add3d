//! Extractors whose rejections speak the API's error shape.
use crate::error::AppError;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// `Json<T>` whose errors are `{"error": {...}}` with 400/415/422 and the field at fault.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        use axum::extract::rejection::JsonRejection::*;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonDataError(e)) => {
                // serde's message names the field path ("missing field `title`", "...at line").
                Err(AppError::bad_request("invalid_body", e.body_text()))
            }
            Err(JsonSyntaxError(e)) => Err(AppError::bad_request("invalid_json", e.body_text())),
            Err(MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType(
                "send JSON with 'Content-Type: application/json'".into(),
            )),
            Err(e) => Err(AppError::bad_request("invalid_body", e.body_text())),
        }
    }
}
