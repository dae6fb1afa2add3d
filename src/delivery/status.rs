//! Where a delivery is: pending → sending → sent, or back to pending for a retry; unreachable
//! when the channel can never reach the person; failed when the retries ran out.
use crate::domain::text_enum;

text_enum! {
    pub enum DeliveryStatus ("a delivery status") {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Unreachable = "unreachable",
        Failed = "failed",
    }
}

impl DeliveryStatus {
    /// The bucket `GET …/delivery` counts it in.
    pub fn bucket(self) -> &'static str {
        match self {
            DeliveryStatus::Pending | DeliveryStatus::Sending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Unreachable => "unreachable",
            DeliveryStatus::Failed => "failed",
        }
    }
}
