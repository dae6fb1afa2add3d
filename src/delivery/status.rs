//! Where a delivery is: pending → sending → sent, or back to pending for a retry; unreachable
//! when the channel can never reach the person; failed when the retries ran out; cancelled when
//! the incident's delivery was stopped before it went out. A provider may later say more about a
//! sent message (SMS status callbacks): delivered, or undelivered (then the person's next
//! channel is tried).
use crate::domain::text_enum;

text_enum! {
    pub enum DeliveryStatus ("a delivery status") {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Undelivered = "undelivered",
        Unreachable = "unreachable",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl DeliveryStatus {
    /// The bucket `GET …/delivery` counts it in (a delivered message is also sent; an
    /// undelivered one failed after it left, as the per-person counts say).
    pub fn bucket(self) -> &'static str {
        match self {
            DeliveryStatus::Pending | DeliveryStatus::Sending => "pending",
            DeliveryStatus::Sent | DeliveryStatus::Delivered => "sent",
            DeliveryStatus::Unreachable => "unreachable",
            DeliveryStatus::Failed | DeliveryStatus::Undelivered => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word the outbox's CHECK constraint allows (migration 000008, `DELIVERY_STATUSES`)
    /// is read back: a row the store wrote is never "corrupt".
    #[test]
    fn every_stored_status_is_read_back() {
        let allowed = [
            "pending",
            "sending",
            "sent",
            "delivered",
            "undelivered",
            "unreachable",
            "failed",
            "cancelled",
        ];
        for word in allowed {
            assert!(DeliveryStatus::from_stored(word).is_ok(), "{word}");
        }
        assert_eq!(DeliveryStatus::ALL.len(), allowed.len());
    }
}
