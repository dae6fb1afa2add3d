//! The incident lifecycle: open → investigating → contained → notifying → closed.

use crate::domain::text_enum;

text_enum! {
    /// Where an incident is in its life.
    pub enum Status ("a status") {
        Open = "open",
        Investigating = "investigating",
        Contained = "contained",
        Notifying = "notifying",
        Closed = "closed",
    }
}

text_enum! {
    /// Whether the incident's deliveries go out: a dispatch can be paused, resumed and
    /// cancelled.
    pub enum DeliveryState ("a delivery state") {
        Running = "running",
        Paused = "paused",
        Cancelled = "cancelled",
    }
}

impl Status {
    /// Where an incident may go from here: one step forward, or closed early when it turns
    /// out not to be a breach (before anyone was notified). Closed is final.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Open => &[Status::Investigating, Status::Closed],
            Status::Investigating => &[Status::Contained, Status::Notifying, Status::Closed],
            Status::Contained => &[Status::Notifying, Status::Closed],
            Status::Notifying => &[Status::Closed],
            Status::Closed => &[],
        }
    }

    /// Whether sending notices moves the incident to notifying: it does from any stage of the
    /// investigation (notice often cannot wait for containment), never from closed.
    pub fn moves_on_dispatch(self) -> bool {
        matches!(
            self,
            Status::Open | Status::Investigating | Status::Contained
        )
    }

    /// `Ok` when the move is allowed, else why not.
    pub fn check_move(self, to: Status) -> Result<(), String> {
        if self.next().contains(&to) {
            return Ok(());
        }
        let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        Err(if allowed.is_empty() {
            format!(
                "the incident is {}: it cannot move to {}",
                self.as_str(),
                to.as_str()
            )
        } else {
            format!(
                "an incident cannot move from {} to {}; from {} it can move to: {}",
                self.as_str(),
                to.as_str(),
                self.as_str(),
                allowed.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_only() {
        assert!(Status::Open.check_move(Status::Investigating).is_ok());
        assert!(Status::Contained.check_move(Status::Notifying).is_ok());
        let e = Status::Notifying.check_move(Status::Open).unwrap_err();
        assert!(e.contains("can move to: closed"), "{e}");
        assert!(Status::Closed
            .check_move(Status::Open)
            .unwrap_err()
            .contains("is closed"));
        assert!(Status::Open.check_move(Status::Notifying).is_err());
    }
}
