//! The security team's console: server-rendered pages (handlebars, `templates/console/`) over
//! the same use cases as the API. Each capability's handlers live in its own `console.rs`;
//! this module holds what they share: who is signed in (`context`), pages, redirects with a
//! flash and error pages (`page`, `flash`), form bodies and their error summary (`forms`),
//! numbers and dates for the reader (`locale`), the cross-site guard (`guard`) and the
//! incident tabs (`tabs`).
mod context;
pub mod flash;
mod forms;
pub mod guard;
pub mod locale;
mod page;
pub mod tabs;

pub use context::{base_path, cookie, session_cookie, set_cookie, Console, SignedIn};
pub use flash::Flash;
pub use forms::{errors, instant, FormData};
pub use locale::Locale;
pub use page::{
    context as page_context, html, render_error_page, see_other, ErrorPage, Frame, PageError,
    PageResult,
};

use crate::app::AppState;
use axum::middleware;
use axum::Router;

/// Form bodies above this are refused.
const FORM_LIMIT: usize = 256 * 1024;

/// Every console route, behind the cross-site guard.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(crate::auth::console::routes())
        .merge(crate::incidents::console::routes())
        .merge(crate::audit::console::routes())
        .merge(crate::population::console::routes())
        .merge(crate::notices::console::routes())
        .merge(crate::delivery::console::routes())
        .merge(crate::regulation::obligations::console::routes())
        .merge(crate::regulation::console::routes())
        .layer(axum::extract::DefaultBodyLimit::max(FORM_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::cross_site,
        ))
}
