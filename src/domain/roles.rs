//! Account roles, incident severities and notice channels.
use super::text_enum;

text_enum! {
    /// What an account may do is decided by its role; the table is in `auth::permissions`.
    pub enum Role ("a role") {
        Admin = "admin",
        Responder = "responder",
        Approver = "approver",
        Viewer = "viewer",
    }
}

text_enum! {
    /// How bad an incident is (its playbook gives the default).
    pub enum Severity ("a severity") {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

text_enum! {
    /// A way to reach a person with a notice. The order of an incident's channels is the order
    /// of fallback.
    pub enum Channel ("a channel") {
        Email = "email",
        Sms = "sms",
        Push = "push",
    }
}
