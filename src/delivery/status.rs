//! Where a delivery is: pending → sending → sent, or back to pending for a retry; unreachable
//! when the channel can never reach the person; failed when the retries ran out; delivered or
//! undelivered when the provider later says so (SMS status callbacks); cancelled when the
//! incident's delivery was cancelled before it went out.
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
    /// The bucket `GET …/delivery` counts it in.
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
