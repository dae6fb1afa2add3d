//! Local servers speaking providers' documented wire formats, for the channels' tests.
pub mod apns;
pub mod fcm;
pub mod twilio;
pub mod webpush;
