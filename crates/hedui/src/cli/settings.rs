//! The command line's part in the configuration: the flags that are settings, and the effective
//! configuration every command reads.

use std::path::{Path, PathBuf};

use hedui::config::Config;

use super::args::*;

pub(crate) static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();

/// The effective configuration (every layer, this command's flags included).
pub(crate) fn cfg() -> &'static Config {
    CONFIG.get_or_init(Config::default)
}

/// The policy directory, for every app this process builds.
pub(crate) fn policy_dir() -> Option<&'static Path> {
    cfg().policy.dir.as_deref()
}

/// Where this node's policy, catalog and mappings come from, and where its audit checkpoints go,
/// for every app this process builds.
pub(crate) fn reference() -> hedui::Reference<'static> {
    let c = cfg();
    hedui::Reference {
        policy_dir: c.policy.dir.as_deref(),
        catalog: c.exchange.catalog.as_deref(),
        mappings: c.exchange.mappings.as_deref(),
        checkpoint_file: checkpoint_file(),
        checkpoint_syslog: c.audit.checkpoint_syslog,
    }
}

/// The audit checkpoint file of this node (see `AuditConfig::checkpoint_file_for`).
pub(crate) fn checkpoint_file() -> Option<&'static Path> {
    static FILE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| cfg().audit.checkpoint_file_for(&cfg().database.url)).as_deref()
}

/// The database URL and the master key file of this node.
pub(crate) fn node() -> (String, PathBuf) {
    (cfg().database.url.clone(), cfg().keys.master_key_file.clone())
}

/// The settings this command gives on its command line, by configuration key.
pub(crate) fn command_line(cli: &Cli) -> Vec<(&'static str, Option<String>)> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let mut flags = vec![("policy.dir", path(&cli.policy_dir))];
    let node = |flags: &mut Vec<(&'static str, Option<String>)>, db: &Option<String>, key: &Option<PathBuf>| {
        flags.push(("database.url", db.clone()));
        flags.push(("keys.master_key_file", path(key)));
    };
    match &cli.cmd {
        Cmd::Serve { db, key, catalog, sources, public_url, bind, port, .. } => {
            node(&mut flags, db, key);
            flags.push(("exchange.catalog", path(catalog)));
            flags.push(("exchange.sources", sources.clone()));
            flags.push(("server.public_url", public_url.clone()));
            flags.push(("server.bind", bind.clone()));
            flags.push(("server.port", port.map(|p| p.to_string())));
        }
        Cmd::Import { db, key, .. }
        | Cmd::Init { db, key }
        | Cmd::User { cmd: UserCmd::Bootstrap { db, key, .. } }
        | Cmd::User { cmd: UserCmd::Recover { db, key, .. } }
        | Cmd::Report { cmd: ReportCmd::Export { db, key, .. } }
        | Cmd::Policy { cmd: PolicyCmd::Simulate { db, key, .. } }
        | Cmd::Key {
            cmd:
                KeyCmd::Split { db, key, .. }
                | KeyCmd::Roll { db, key }
                | KeyCmd::Rotate { db, key, .. }
                | KeyCmd::Check { db, key }
                | KeyCmd::Revoke { db, key, .. },
        }
        | Cmd::Backup { db, key, .. }
        | Cmd::Restore { db, key, .. }
        | Cmd::Audit {
            cmd:
                AuditCmd::Verify { db, key, .. }
                | AuditCmd::Checkpoint { db, key, .. }
                | AuditCmd::Retention { db, key }
                | AuditCmd::Purge { db, key },
        } => node(&mut flags, db, key),
        Cmd::Migrate { db, .. } => node(&mut flags, db, &None),
        Cmd::Report { cmd: ReportCmd::Key { db, key } } => node(&mut flags, db, key),
        Cmd::Exchange { cmd: ExchangeCmd::Keys { db, key, .. } } => node(&mut flags, db, key),
        Cmd::Exchange { cmd: ExchangeCmd::Export { node: n, .. } | ExchangeCmd::Import { node: n, .. } } => {
            node(&mut flags, &n.db, &n.key);
            flags.push(("exchange.catalog", path(&n.catalog)));
        }
        Cmd::Jobs { cmd: JobsCmd::Run(a) | JobsCmd::Resume(a) } => {
            node(&mut flags, &a.node.db, &a.node.key);
            flags.push(("exchange.catalog", path(&a.node.catalog)));
            flags.push(("exchange.sources", a.sources.clone()));
            flags.push(("exchange.collect_within_secs", a.collect_within.map(|s| s.to_string())));
        }
        _ => {}
    }
    flags
}
