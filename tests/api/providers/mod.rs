pub mod apns;
pub mod fcm;
pub mod webpush;
