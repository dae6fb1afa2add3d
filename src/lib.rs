//! Tocsin: security-incident notification and breach response.
//!
//! One folder per capability, each with its domain types, queries, use cases and routes;
//! `web` only composes them.
pub mod announcements;
pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod chain;
pub mod cli;
pub mod config;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod error;
pub mod evidence;
pub mod incidents;
pub mod links;
pub mod metrics;
pub mod notices;
pub mod playbooks;
pub mod population;
pub mod regulation;
pub mod templates;
pub mod web;
