//! Accounts, roles, API tokens.
mod accounts;
mod extract;
mod permissions;
mod tokens;

pub use accounts::{
    create_account, ensure_first_admin, find_account_by_email, AccountError, NewAccount,
};
pub use extract::Auth;
pub use permissions::{allowed, Action, PERMISSIONS};
pub use tokens::{create_token, hash_token, CreatedToken};
