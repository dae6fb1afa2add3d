//! Integration tests: the real app over HTTP (and the real binary), each on SQLite and
//! PostgreSQL.
mod helpers;

mod accounts;
mod audit;
mod cli;
mod health;
mod subjects;
