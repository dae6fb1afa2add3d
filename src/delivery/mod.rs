//! The outbox and the dispatcher.
use crate::web::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
