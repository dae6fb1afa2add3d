//! Integration tests: the real app over HTTP (and the real binary), each on SQLite and
//! PostgreSQL.
mod helpers;
mod providers;
mod smtp;

mod accounts;
mod announcements;
mod audit;
mod cli;
mod crash;
mod delivery;
mod demo;
mod dispatcher;
mod flow;
mod health;
mod idempotency;
mod integrity;
mod push;
mod races;
mod reports;
mod sms;
mod sms_callbacks;
mod sms_offline;
mod smtp_selftest;
mod subjects;
mod wire;
