//! Which role may do what: the one table every route consults.
use crate::domain::Role;
use Role::*;

/// Everything a route can do. Each API handler asks for exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PlaybooksRead,
    SubjectsRead,
    SubjectsImport,
    IncidentsRead,
    IncidentsWrite,
    PopulationWrite,
    NoticesCompose,
    NoticesRead,
    NoticesApprove,
    Dispatch,
    DeliveryRead,
    AnnouncementPublish,
    ObligationsRead,
    /// Marking an obligation done (when, how, by whom).
    ObligationsWrite,
    ReportsRead,
    /// Saving a report version and recording its submission.
    ReportsWrite,
    AuditRead,
    /// Checking the audit log's and the ledger's chains from the console (walks every entry).
    AuditVerify,
    /// The delivery evidence ledger (ids and hashes, no personal data).
    LedgerRead,
    AccountsManage,
}

/// The permission table. Approval is the approver's alone (four eyes: not even an admin may
/// approve); reading personal data needs more than `viewer`.
pub const PERMISSIONS: &[(Action, &[Role])] = &[
    (Action::PlaybooksRead, &[Admin, Responder, Approver, Viewer]),
    (Action::SubjectsRead, &[Admin, Responder, Approver]),
    (Action::SubjectsImport, &[Admin, Responder]),
    (Action::IncidentsRead, &[Admin, Responder, Approver, Viewer]),
    (Action::IncidentsWrite, &[Admin, Responder]),
    (Action::PopulationWrite, &[Admin, Responder]),
    (Action::NoticesCompose, &[Admin, Responder]),
    (Action::NoticesRead, &[Admin, Responder, Approver]),
    (Action::NoticesApprove, &[Approver]),
    (Action::Dispatch, &[Admin, Responder]),
    (Action::DeliveryRead, &[Admin, Responder, Approver, Viewer]),
    (Action::AnnouncementPublish, &[Admin, Responder]),
    (
        Action::ObligationsRead,
        &[Admin, Responder, Approver, Viewer],
    ),
    (Action::ObligationsWrite, &[Admin, Responder]),
    (Action::ReportsRead, &[Admin, Responder, Approver]),
    (Action::ReportsWrite, &[Admin, Responder, Approver]),
    (Action::AuditRead, &[Admin, Approver]),
    (Action::AuditVerify, &[Admin]),
    (Action::LedgerRead, &[Admin, Responder, Approver]),
    (Action::AccountsManage, &[Admin]),
];

pub fn allowed(role: Role, action: Action) -> bool {
    PERMISSIONS
        .iter()
        .any(|(a, roles)| *a == action && roles.contains(&role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_approvers_approve_and_viewers_see_no_personal_data() {
        assert!(allowed(Approver, Action::NoticesApprove));
        assert!(!allowed(Admin, Action::NoticesApprove));
        assert!(!allowed(Viewer, Action::SubjectsRead));
        assert!(!allowed(Viewer, Action::NoticesRead));
        assert!(!allowed(Responder, Action::AccountsManage));
    }
}
