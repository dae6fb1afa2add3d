//! Accounts, roles, API tokens, console sessions and the sign-in throttle.
mod accounts;
pub mod console;
mod extract;
mod permissions;
pub mod sessions;
pub mod throttle;
mod tokens;

pub use accounts::{
    change_password, check_password, create_account, disable_account, ensure_first_admin,
    find_account_by_email, list_accounts, AccountError, Disabled, NewAccount, PasswordError,
    PASSWORD_MAX, PASSWORD_MIN,
};
pub use extract::Auth;
pub use permissions::{allowed, Action, PERMISSIONS};
pub use throttle::SignInThrottle;
pub use tokens::{
    create_token, create_token_expiring, hash_token, list_tokens, parse_lifetime, revoke_token,
    token_state, CreatedToken, Revoked,
};
