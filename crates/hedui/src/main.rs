//! `hedui`: the one binary. Web UI and JSON API (`serve`, `demo`) and the command line; each
//! command group lives in its own module under `cli/`.

mod cli;

use anyhow::Result;
use clap::Parser;

use cli::args::{Cli, Cmd, ConfigCmd, DbCmd};
use hedui::config;

fn main() -> Result<()> {
    let cli = Cli::parse().normalized();
    let mut sources = config::Sources::from_process(cli.config.as_deref());
    for (key, value) in cli::settings::command_line(&cli) {
        sources.flag(key, value);
    }
    let loaded = config::load(&sources)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&loaded.config.log.filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    for w in &loaded.warnings {
        tracing::warn!("{w}");
        eprintln!("警告：{w}");
    }
    let _ = cli::settings::CONFIG.set(loaded.config.clone());
    cli::operator::set(cli.operator.clone());
    match cli.cmd {
        Cmd::Config { cmd: ConfigCmd::Show } => {
            print!("{}", loaded.show()?);
            Ok(())
        }
        Cmd::Policy { cmd } => cli::policy::run(cmd),
        Cmd::Report { cmd } => cli::report::run(cmd),
        c @ (Cmd::Demo { .. } | Cmd::Serve { .. }) => cli::serve::run(c),
        c @ (Cmd::Generate { .. } | Cmd::Import { .. } | Cmd::Id { .. }) => cli::data::run(c),
        c @ (Cmd::Simulate { .. } | Cmd::Exchange { .. } | Cmd::Jobs { .. }) => cli::exchange::run(c),
        c @ (Cmd::Migrate { .. } | Cmd::Init { .. } | Cmd::User { .. }) => cli::node::run(c),
        Cmd::Db { cmd: DbCmd::Grants { app_role, purge_role, schema } } => {
            let name = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if ![&app_role, &purge_role, &schema].iter().all(|s| name(s)) {
                anyhow::bail!("角色名和 schema 名只能由字母、数字和下划线组成");
            }
            print!("{}", hedui_store_postgres::role_grants(&schema, &app_role, &purge_role));
            Ok(())
        }
        c @ (Cmd::Backup { .. } | Cmd::Restore { .. } | Cmd::Key { .. }) => cli::backup::run(c),
        Cmd::Audit { cmd } => match cli::audit::run(cmd)? {
            true => Ok(()),
            false => std::process::exit(1),
        },
        Cmd::Ukey { cmd } => cli::ukey::run(cmd),
        Cmd::Retention { .. } => anyhow::bail!("retention commands are resolved before they run"),
    }
}
