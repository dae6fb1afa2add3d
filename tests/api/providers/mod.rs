//! Local servers speaking providers' documented wire formats, for the channels' tests.
pub mod twilio;
