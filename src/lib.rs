//! Tocsin: security-incident notification and breach response.
//!
//! One folder per capability, each with its domain types, queries, use cases and routes;
//! `web` only composes them.
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod population;
pub mod web;
