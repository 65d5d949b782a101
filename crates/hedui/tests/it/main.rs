//! The integration tests of the `hedui` binary, one test binary: each module starts the real app (or the binary itself) and drives it as its users do.
//! One binary rather than one per file keeps a clean build small (CI machines have limited disk) and links once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

mod access;
mod accounts;
mod audit_chain;
mod audit_rows;
mod backup;
mod bootstrap;
mod browser;
mod catalog;
mod common;
mod config;
mod declared;
mod demo;
mod e2e;
mod employees;
mod exchange;
mod guards;
mod history;
mod hostile;
mod idcheck;
mod keys;
mod login;
mod masking;
mod migration;
mod module_graph;
mod new_source;
mod node_keys;
mod openapi;
mod policy_reload;
mod recheck;
mod requests;
mod restart;
mod retention;
mod rigid;
mod rotation;
mod security;
mod simulate;
mod snapshots;
mod supporters;
mod tamper;
mod tidy;
mod tls;
mod ui_flows;
mod ui_intake;
