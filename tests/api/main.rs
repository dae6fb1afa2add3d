//! Integration tests: the real app over HTTP (and the real binary), each on SQLite and
//! PostgreSQL.
mod helpers;
mod smtp;

mod accounts;
mod announcements;
mod audit;
mod cli;
mod demo;
mod dispatcher;
mod flow;
mod health;
mod integrity;
mod ledger;
mod races;
mod reports;
mod signing;
mod smtp_selftest;
mod subjects;
mod wire;
