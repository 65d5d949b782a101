//! `hedui`: the one binary. Web UI and JSON API (`serve`, `demo`) and the command line.
// tidy: allow(long-file): the command line; it becomes one module per command group in issue 10.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use hedui::city;
use hedui_app::{Actor, App, Role, SystemClock};
use hedui_core::Date;

#[derive(Parser, Debug)]
#[command(name = "hedui", version, about = "核对：社会救助家庭经济状况核对平台")]
struct Cli {
    /// Policy documents (`32.json`, `3204.json` …); the embedded demo policy when absent.
    /// Edits take effect at the next verification, without a restart.
    #[arg(long, global = true, env = "HEDUI_POLICY_DIR")]
    policy_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

static POLICY_DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// The `--policy-dir` given, for every app this process builds.
fn policy_dir() -> Option<&'static Path> {
    POLICY_DIR.get().and_then(|d| d.as_deref())
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Generate a synthetic city, import it, verify a few hundred applications, and serve the UI.
    Demo {
        /// Where the demo keeps its database, key and city.
        #[arg(long, default_value = "hedui-data")]
        dir: PathBuf,
        #[arg(long, default_value_t = 300)]
        households: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// 0 picks a free port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Serve the web UI and API over an existing database.
    Serve {
        /// SQLite file path, or a postgres:// URL.
        #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
        db: String,
        /// Master key file (or set HEDUI_MASTER_KEY).
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
        /// A generated city whose banks answer queries in process (without --sources).
        #[arg(long)]
        city: Option<PathBuf>,
        /// Catalog file (the embedded demo catalog when absent).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Collect from the catalog's online sources; relative endpoints live under this URL.
        #[arg(long)]
        sources: Option<String>,
        /// hedui's own address as institutions reach it, for asynchronous callbacks.
        #[arg(long)]
        public_url: Option<String>,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Generate a synthetic city (deterministic from the seed).
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1000)]
        households: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Snapshot and verification date; yesterday when absent.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Import department snapshot files (CSV) into the store.
    Import {
        #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
        db: String,
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
        /// Import every mirror listed in this generated city's manifest.
        #[arg(long, conflicts_with_all = ["source", "as_of", "files"])]
        city: Option<PathBuf>,
        /// Source code, e.g. shuiwu, budongchan.
        #[arg(long)]
        source: Option<String>,
        /// The snapshot's as-of date.
        #[arg(long)]
        as_of: Option<String>,
        files: Vec<PathBuf>,
        /// Write each file's rejection report next to it (`<file>.issues.csv`).
        #[arg(long)]
        report: bool,
        /// Column mappings (JSON, as `data/mappings/3204.json`); the built-in ones when absent.
        #[arg(long)]
        mappings: Option<PathBuf>,
        /// The files hold only what changed since the last full snapshot.
        #[arg(long)]
        incremental: bool,
        /// Show what the import would change (rows new, gone, changed), storing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import a full snapshot that is empty or much smaller than the source's last one; the
        /// audit row names the operating-system user and host who confirmed it.
        #[arg(long)]
        confirm_shrink: bool,
        /// The share (in %) of the last full snapshot's rows below which a full snapshot needs
        /// --confirm-shrink.
        #[arg(long, default_value_t = hedui_import::DEFAULT_MIN_SHARE, value_parser = clap::value_parser!(u8).range(0..=100))]
        min_share: u8,
    },
    /// Identifier tools.
    Id {
        #[command(subcommand)]
        cmd: IdCmd,
    },
    /// Simulated departments and financial institutions over the exchange protocol.
    Simulate {
        /// The generated city whose banks' books answer.
        #[arg(long, required_unless_present = "refresh_catalog")]
        city: Option<PathBuf>,
        /// Catalog file (the embedded demo catalog when absent).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// hedui's published keys (JSON from `hedui exchange keys`).
        #[arg(long, required_unless_present = "refresh_catalog")]
        client_keys: Option<PathBuf>,
        #[arg(long, default_value = "hedui-320400")]
        client_id: String,
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        #[arg(long, default_value_t = 0.0)]
        timeout_rate: f64,
        #[arg(long, default_value_t = 0.0)]
        drip_rate: f64,
        #[arg(long, default_value_t = 0.0)]
        malformed_rate: f64,
        #[arg(long, default_value_t = 0.0)]
        unsigned_rate: f64,
        #[arg(long, default_value_t = 0.0)]
        bad_signature_rate: f64,
        #[arg(long, default_value_t = 0.0)]
        async_rate: f64,
        #[arg(long)]
        duplicate_callbacks: bool,
        /// Sources that never answer (comma-separated codes).
        #[arg(long, value_delimiter = ',')]
        dead: Vec<String>,
        /// Rewrite a catalog file's keys to the simulator's, and exit.
        #[arg(long)]
        refresh_catalog: Option<PathBuf>,
    },
    /// The exchange: hedui's own published keys.
    Exchange {
        #[command(subcommand)]
        cmd: ExchangeCmd,
    },
    /// Verification jobs from the command line.
    Jobs {
        #[command(subcommand)]
        cmd: JobsCmd,
    },
    /// Report files: export a signed PDF, HTML or JSON; verify a file's SM2 signature.
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
    /// Policy files: check them, show what applies, simulate a change on the caseload.
    Policy {
        #[command(subcommand)]
        cmd: PolicyCmd,
    },
    /// Apply database migrations; with --key, also bind the first release's sealed values to
    /// their rows and sign the reports it issued.
    Migrate {
        #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
        db: String,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Set up a new deployment: create its master key (never over an existing one) and its
    /// database, and record the key's fingerprint in it.
    Init {
        #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
        db: String,
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ExchangeCmd {
    /// Print this node's public keys (JSON), for the institutions it queries.
    Keys {
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
        #[arg(long, default_value = "hedui-320400")]
        node: String,
    },
    /// Write a request package for every pending file-exchange request.
    Export {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Import institutions' response packages; a bad package is refused whole.
    Import {
        #[command(flatten)]
        node: NodeArgs,
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum ReportCmd {
    /// Checks a report file's SM2 signature (offline); with --public-key, also who signed it.
    Verify {
        file: PathBuf,
        /// The issuing node's report-signing key (from `hedui report key` or
        /// /api/v1/reports/signing-key).
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Writes a job's report as a signed file.
    Export {
        #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
        db: String,
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
        #[arg(long)]
        job: i64,
        /// The version (the latest when absent).
        #[arg(long)]
        version: Option<i64>,
        /// pdf, html or json.
        #[arg(long, default_value = "pdf")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Prints this node's report-signing public key.
    Key {
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCmd {
    /// Load every policy document and compile every programme for every region it names.
    Check {
        /// The date to check (today when absent).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// What applies to a region on a date: the documents, parameters and rules of a programme.
    Show {
        #[arg(long, default_value = "3204")]
        region: String,
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, default_value = "dibao")]
        programme: String,
    },
    /// Run the current caseload under changed parameters: who passes or fails differently and
    /// the change in monthly cost, by county and programme.
    Simulate {
        #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
        db: String,
        #[arg(long, default_value = "hedui-data/master.key")]
        key: PathBuf,
        /// A change: `dibao.standard=+5%`, `assets.financial_months=36` (repeatable).
        #[arg(long = "change", required = true)]
        changes: Vec<String>,
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum JobsCmd {
    /// Run every submitted job, collecting from the catalog's online sources.
    Run(JobsArgs),
    /// Finish the jobs an interrupted run left dispatched.
    Resume(JobsArgs),
}

/// The database, the master key and the source catalog of this node.
#[derive(clap::Args, Debug)]
struct NodeArgs {
    #[arg(long, env = "HEDUI_DATABASE_URL", default_value = "hedui-data/hedui.db")]
    db: String,
    #[arg(long, default_value = "hedui-data/master.key")]
    key: PathBuf,
    /// Catalog file (the embedded demo catalog when absent).
    #[arg(long)]
    catalog: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct JobsArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Base URL of sources with relative endpoints (the simulator's address).
    #[arg(long)]
    sources: Option<String>,
    /// Give up on sources that have not answered after this many seconds.
    #[arg(long, default_value_t = 600)]
    collect_within: u64,
}

#[derive(Subcommand, Debug)]
enum IdCmd {
    /// Check ID numbers, one per line, from a file or stdin.
    Check { file: Option<PathBuf> },
}

fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

// tidy: allow(long-fn): the command line's dispatch; one module per command group in issue 10.
fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HEDUI_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let _ = POLICY_DIR.set(cli.policy_dir.clone());
    match cli.cmd {
        Cmd::Policy { cmd } => policy_cmd(cmd),
        Cmd::Report { cmd } => report_cmd(cmd),
        Cmd::Demo { dir, households, seed, bind, port } => demo(&dir, households, seed, &bind, port),
        Cmd::Serve { db, key, city, catalog, sources, public_url, bind, port } => {
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let banks = match (&city, &sources) {
                (Some(c), None) => city::banks(c)?,
                _ => Vec::new(),
            };
            let mut app = hedui::build_app(store, keys.clone(), banks, Arc::new(SystemClock), policy_dir())?;
            if sources.is_some() || catalog.is_some() {
                let catalog = hedui::exchange::catalog(catalog.as_deref(), sources.as_deref())?;
                let secret = hedui::exchange::node_secret(keys.as_ref(), &catalog.node.id);
                hedui::exchange::attach(&mut app, catalog, secret, std::time::Duration::from_secs(600))?;
                app.callback_url = public_url.map(|u| format!("{}/api/v1/exchange/callback", u.trim_end_matches('/')));
            }
            serve(app, &bind, port, None)
        }
        Cmd::Generate { out, households, seed, as_of } => {
            let regions = hedui_app::data::regions(None)?;
            let as_of = match as_of {
                Some(s) => parse_date(&s)?,
                None => hedui_app::china_date(SystemClock.unix()).add_days(-1),
            };
            let t = Instant::now();
            let s = city::generate(&regions, &out, seed, households, as_of)?;
            let secs = t.elapsed().as_secs_f64();
            let rows: u64 = s.files.iter().map(|f| f.1).sum();
            println!(
                "生成城市 {}：{} 户，{} 人，{} 行，用时 {:.2} 秒（{:.0} 人/秒，{:.0} 行/秒）",
                out.display(),
                s.households,
                s.persons,
                rows,
                secs,
                s.persons as f64 / secs,
                rows as f64 / secs
            );
            for (f, n) in &s.files {
                println!("  {f}\t{n}");
            }
            Ok(())
        }
        Cmd::Import {
            db,
            key,
            city: city_dir,
            source,
            as_of,
            files,
            report,
            mappings,
            incremental,
            dry_run,
            confirm_shrink,
            min_share,
        } => {
            let mappings = match &mappings {
                Some(p) => hedui_import::mapping::Mappings::parse(
                    &std::fs::read_to_string(p).with_context(|| format!("读取 {}", p.display()))?,
                )
                .map_err(|e| anyhow::anyhow!(e))?,
                None => hedui_import::mapping::Mappings::builtin().clone(),
            };
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app(store, keys, Vec::new(), Arc::new(SystemClock), policy_dir())?;
            let actor = Actor::system("cli-import");
            let operator = operator();
            let summaries = if let Some(dir) = city_dir {
                city::import_mirrors(&app, &actor, &dir)?
            } else {
                let (Some(source), Some(as_of)) = (source, as_of) else {
                    bail!("请给出 --source 和 --as-of，或用 --city")
                };
                if files.is_empty() {
                    bail!("请给出要导入的文件");
                }
                let as_of = parse_date(&as_of)?;
                let mut out = Vec::new();
                for f in &files {
                    let bytes = std::fs::read(f).with_context(|| format!("读取 {}", f.display()))?;
                    let now = app.now();
                    let name = f.display().to_string();
                    let input = hedui_import::ImportInput {
                        source: &source,
                        file_name: &name,
                        as_of,
                        bytes: &bytes,
                        now: &now,
                        actor: "system",
                        request_id: "cli-import",
                        mode: if incremental {
                            hedui_store::SnapshotMode::Incremental
                        } else {
                            hedui_store::SnapshotMode::Full
                        },
                        confirm_shrink: confirm_shrink.then_some(operator.as_str()),
                        min_share,
                    };
                    if dry_run {
                        print_dry_run(&hedui_import::dry_run(app.store.as_ref(), &app.identity, &mappings, &input)?);
                        continue;
                    }
                    let s = hedui_import::import_with(app.store.as_ref(), &app.identity, &mappings, &input)?;
                    if report && (s.stats.rejected > 0 || s.stats.unresolved > 0 || s.stats.duplicate > 0) {
                        let p = PathBuf::from(format!("{}.issues.csv", f.display()));
                        std::fs::write(&p, hedui_import::issues_csv(app.store.as_ref(), &app.identity, s.batch)?)?;
                        println!("问题清单：{}", p.display());
                    }
                    out.push(s);
                }
                out
            };
            for s in &summaries {
                print_import(s);
            }
            Ok(())
        }
        Cmd::Id { cmd: IdCmd::Check { file } } => {
            let regions = hedui_app::data::regions(None)?;
            let stdout = std::io::stdout();
            let (valid, invalid) = match file {
                Some(f) => hedui::idcheck::run(
                    std::io::BufReader::new(std::fs::File::open(&f).with_context(|| format!("读取 {}", f.display()))?),
                    stdout.lock(),
                    &regions,
                )?,
                None => hedui::idcheck::run(std::io::stdin().lock(), stdout.lock(), &regions)?,
            };
            eprintln!("有效 {valid} 条，无效 {invalid} 条");
            Ok(())
        }
        Cmd::Simulate {
            city: city_dir,
            catalog,
            client_keys,
            client_id,
            listen,
            latency_ms,
            error_rate,
            timeout_rate,
            drip_rate,
            malformed_rate,
            unsigned_rate,
            bad_signature_rate,
            async_rate,
            duplicate_callbacks,
            dead,
            refresh_catalog,
        } => {
            if let Some(p) = refresh_catalog {
                let text = std::fs::read_to_string(&p).with_context(|| format!("读取 {}", p.display()))?;
                std::fs::write(&p, hedui_sim::fill_catalog_keys(&text).map_err(|e| anyhow::anyhow!(e))?)?;
                println!("已更新 {} 中的模拟机构公钥", p.display());
                return Ok(());
            }
            let (Some(city_dir), Some(keys_file)) = (city_dir, client_keys) else {
                bail!("请给出 --city 和 --client-keys")
            };
            let keys: hedui_core::catalog::NodeKeys = serde_json::from_str(
                &std::fs::read_to_string(&keys_file).with_context(|| format!("读取 {}", keys_file.display()))?,
            )?;
            let faults = hedui_sim::Faults {
                latency: std::time::Duration::from_millis(latency_ms),
                error_rate,
                timeout_rate,
                drip_rate,
                malformed_rate,
                unsigned_rate,
                bad_signature_rate,
                async_rate,
                duplicate_callbacks,
                dead: dead.into_iter().collect(),
                ..hedui_sim::Faults::default()
            };
            let catalog = hedui::exchange::catalog(catalog.as_deref(), None)?;
            let sim = Arc::new(hedui_sim::Simulator::new(catalog, city::banks(&city_dir)?, &client_id, keys, faults));
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(async {
                let listener =
                    tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("监听 {listen}"))?;
                println!("hedui-sim listening on http://{}", listener.local_addr()?);
                std::io::stdout().flush()?;
                axum::serve(listener, hedui_sim::router(sim)).await?;
                Ok(())
            })
        }
        Cmd::Exchange { cmd: ExchangeCmd::Export { node, out } } => {
            let app = exchange_app(&node, None, 600)?;
            std::fs::create_dir_all(&out)?;
            let actor = Actor::system("cli-exchange");
            for p in app.export_packages(&actor)? {
                let path = out.join(&p.file_name);
                std::fs::write(&path, &p.bytes).with_context(|| format!("写入 {}", path.display()))?;
                println!("{}\t{} 人\t{}", p.source, p.persons, path.display());
            }
            Ok(())
        }
        Cmd::Exchange { cmd: ExchangeCmd::Import { node, files } } => {
            let app = exchange_app(&node, None, 600)?;
            let actor = Actor::system("cli-exchange");
            let mut refused = 0;
            for f in &files {
                let bytes = std::fs::read(f).with_context(|| format!("读取 {}", f.display()))?;
                match app.import_package(&actor, &bytes) {
                    Ok(p) => println!("{}：{} 的答复 {} 人（有记录 {} 人）", f.display(), p.source, p.persons, p.found),
                    Err(e) => {
                        refused += 1;
                        eprintln!("{}：{e}", f.display());
                    }
                }
            }
            if refused > 0 {
                bail!("{refused} 个文件包被拒收");
            }
            Ok(())
        }
        Cmd::Exchange { cmd: ExchangeCmd::Keys { key, node } } => {
            let keys = hedui::keys::load(&key)?.0;
            println!("{}", serde_json::to_string_pretty(&hedui::exchange::node_secret(&keys, &node).public())?);
            Ok(())
        }
        Cmd::Jobs { cmd } => {
            let (args, resume) = match cmd {
                JobsCmd::Run(a) => (a, false),
                JobsCmd::Resume(a) => (a, true),
            };
            let app = exchange_app(&args.node, args.sources.as_deref(), args.collect_within)?;
            let actor = Actor::system("cli-jobs");
            let t = Instant::now();
            let results = if resume {
                app.resume_jobs(&actor)?
            } else {
                let submitted = app.store.jobs(&hedui_store::JobFilter {
                    state: Some(hedui_core::job::JobState::Submitted),
                    limit: 1_000_000,
                    ..hedui_store::JobFilter::default()
                })?;
                let ids: Vec<hedui_core::JobId> = submitted.iter().rev().map(|j| j.id).collect();
                app.run_jobs(&actor, &ids)?
            };
            let ok = results.iter().filter(|r| r.is_ok()).count();
            for e in results.iter().filter_map(|r| r.as_ref().err()) {
                eprintln!("未完成：{e}");
            }
            println!("出具报告 {ok} 份，未完成 {} 个，用时 {:.1} 秒", results.len() - ok, t.elapsed().as_secs_f64());
            Ok(())
        }
        Cmd::Migrate { db, key } => {
            match key {
                Some(key) => {
                    let (store, keys) = hedui::keys::open_node(&db, &key)?;
                    hedui::build_app(store, keys, Vec::new(), Arc::new(SystemClock), policy_dir())?;
                    println!("数据库已是最新版本，密文均已绑定到所在行");
                }
                None => {
                    hedui::open_store(&db)?;
                    println!("数据库结构已是最新版本（给出 --key 可同时完成密文迁移）");
                }
            }
            Ok(())
        }
        Cmd::Init { db, key } => {
            let store = hedui::open_store(&db)?;
            if let Some(fp) = store.meta(hedui_app::upgrade::KEY_FINGERPRINT)? {
                bail!("数据库 {db} 已初始化（主密钥指纹 {fp}）：hedui init 不会为它另建主密钥");
            }
            let keys = Arc::new(hedui::keys::create(&key)?);
            let fp = hedui_crypto::KeyProvider::fingerprint(keys.as_ref());
            hedui::build_app(store, keys, Vec::new(), Arc::new(SystemClock), policy_dir())?;
            println!("已生成主密钥 {}（指纹 {fp}，请妥善备份），数据库 {db} 已初始化", key.display());
            Ok(())
        }
    }
}

/// An app with the exchange attached, for the exchange and jobs commands.
fn exchange_app(node: &NodeArgs, sources: Option<&str>, collect_within: u64) -> Result<App> {
    let (store, keys) = hedui::keys::open_node(&node.db, &node.key)?;
    let mut app = hedui::build_app(store, keys.clone(), Vec::new(), Arc::new(SystemClock), policy_dir())?;
    let catalog = hedui::exchange::catalog(node.catalog.as_deref(), sources)?;
    let secret = hedui::exchange::node_secret(keys.as_ref(), &catalog.node.id);
    hedui::exchange::attach(&mut app, catalog, secret, std::time::Duration::from_secs(collect_within))?;
    Ok(app)
}

trait Unix {
    fn unix(&self) -> i64;
}
impl Unix for SystemClock {
    fn unix(&self) -> i64 {
        hedui_app::Clock::unix_seconds(self)
    }
}

/// Who runs a command-line import, until command-line operators log in: the operating-system
/// user and host.
fn operator() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into());
    format!("os:{user}@{host}")
}

fn print_dry_run(d: &hedui_import::DryRun) {
    let st = &d.stats;
    println!(
        "{}（{}）：试运行，未保存任何数据。共 {} 行，可接收 {}，重复 {}，拒收 {}，未识别 {}",
        d.source,
        d.as_of,
        st.total,
        st.total - st.rejected - st.duplicate,
        st.duplicate,
        st.rejected,
        st.unresolved
    );
    match d.compared_with {
        Some((batch, as_of)) => println!(
            "  与上一次全量快照（{as_of}，批次 {batch}）相比：新增 {}，消失 {}，变化 {}，未变 {}",
            d.new, d.gone, d.changed, d.unchanged
        ),
        None => println!("  该来源此前没有全量快照：{} 行均为新增", d.new),
    }
    if let Some(why) = &d.refused {
        println!("  注意：正式导入将被拒绝（{why}），需加 --confirm-shrink 确认");
    }
}

fn print_import(s: &hedui_import::ImportSummary) {
    let st = &s.stats;
    if s.already_imported {
        println!("{}（{}）：已导入过，未作更改（批次 {}）", s.source, s.as_of, s.batch);
    } else {
        println!(
            "{}（{}）：共 {} 行，接收 {}，重复 {}，拒收 {}，未识别 {}（批次 {}）",
            s.source, s.as_of, st.total, st.accepted, st.duplicate, st.rejected, st.unresolved, s.batch
        );
    }
}

fn demo(dir: &Path, households: u64, seed: u64, bind: &str, port: u16) -> Result<()> {
    let paths = city::DemoPaths::new(dir);
    // The demo starts from scratch each time; the key file is kept.
    for p in [&paths.db, &paths.root.join("hedui.db-wal"), &paths.root.join("hedui.db-shm")] {
        if p.exists() {
            std::fs::remove_file(p).with_context(|| format!("删除 {}", p.display()))?;
        }
    }
    if paths.city.exists() {
        std::fs::remove_dir_all(&paths.city).with_context(|| format!("删除 {}", paths.city.display()))?;
    }
    let today = hedui_app::china_date(SystemClock.unix());
    let as_of = today.add_days(-1);
    let regions = hedui_app::data::regions(None)?;

    let t = Instant::now();
    let g = city::generate(&regions, &paths.city, seed, households, as_of)?;
    println!("1. 生成演示城市（常州，{} 户，{} 人）：{:.1} 秒", g.households, g.persons, t.elapsed().as_secs_f64());

    let store = hedui::open_store(&paths.db.display().to_string())?;
    let keys = Arc::new(city::demo_key(&paths.key)?);
    let mut app = hedui::build_app(store, keys.clone(), Vec::new(), Arc::new(SystemClock), policy_dir())?;
    // The city's departments and institutions, simulated over real HTTP on loopback.
    let catalog = hedui::exchange::catalog(None, None)?;
    let secret = hedui::exchange::node_secret(keys.as_ref(), &catalog.node.id);
    let sim = hedui::exchange::start_simulator(
        catalog.clone(),
        city::banks(&paths.city)?,
        &catalog.node.id,
        secret.public(),
        hedui_sim::Faults::default(),
    )?;
    let mut catalog = catalog;
    catalog.base_url = Some(sim.base_url.clone());
    let online = catalog.by_channel(hedui_core::catalog::Channel::Online).count();
    hedui::exchange::attach(&mut app, catalog, secret, std::time::Duration::from_secs(120))?;
    println!("   模拟 {online} 个在线部门和金融机构：{}", sim.base_url);
    let admin = Actor::system("demo");
    app.create_user(&admin, "admin", "系统管理员", Role::Admin, "", "admin-hedui")?;
    app.create_user(&admin, "demo", "演示核对员", Role::Clerk, "", "demo-hedui")?;
    app.create_user(&admin, "viewer", "查阅人员", Role::Viewer, "", "viewer-hedui")?;

    let t = Instant::now();
    let imports = city::import_mirrors(&app, &admin, &paths.city)?;
    let rows: i64 = imports.iter().map(|s| s.stats.accepted).sum();
    println!("2. 导入 {} 个部门的镜像数据，{} 行：{:.1} 秒", imports.len(), rows, t.elapsed().as_secs_f64());

    let t = Instant::now();
    let apps = city::applications(&paths.city)?;
    // Every 50th household has not signed its letter yet, to show a refused query.
    let filed = city::file_applications(&app, &admin, &apps, as_of, &|i| i % 50 != 49)?;
    let mut reports = Vec::new();
    let mut refused = 0;
    let ids: Vec<hedui_core::JobId> = filed.iter().map(|f| f.job).collect();
    let settled = std::cell::Cell::new(0);
    let settle = |a: &App| {
        settled.set(hedui::exchange::settle_files(a, &admin, &sim.sim)?);
        Ok(())
    };
    for (f, result) in filed.iter().zip(app.run_jobs_with(&admin, &ids, &settle)?) {
        match result {
            Ok(r) => reports.push((f.number.clone(), r)),
            Err(hedui_app::AppError::AuthorizationRequired(_)) => refused += 1,
            Err(e) => return Err(anyhow::anyhow!("核对 {} 失败：{e}", f.number)),
        }
    }
    println!(
        "3. 委托并核对 {} 户（{} 户因未授权被拒绝；在线查询，另经文件交换 {} 个请求包）：{:.1} 秒",
        filed.len(),
        refused,
        settled.get(),
        t.elapsed().as_secs_f64()
    );
    let truth = city::ground_truth(&paths.city)?;
    let cmp = city::compare(&truth, &reports);
    print!("{}", cmp.render());
    let served = serve(app, bind, port, Some(("demo", "demo-hedui")));
    drop(sim);
    served
}

fn serve(app: App, bind: &str, port: u16, login: Option<(&str, &str)>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind((bind, port)).await.with_context(|| format!("监听 {bind}:{port}"))?;
        let addr = listener.local_addr()?;
        println!("hedui 已启动: http://{addr}/");
        if let Some((u, p)) = login {
            println!("演示登录: 用户名 {u} 密码 {p}（管理员 admin / admin-hedui，查阅 viewer / viewer-hedui）");
        }
        std::io::stdout().flush()?;
        hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))).await?;
        Ok(())
    })
}

fn today() -> Date {
    hedui_app::china_date(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0),
    )
}

// tidy: allow(long-fn): the policy commands' dispatch; one module per command group in issue 10.
fn policy_cmd(cmd: PolicyCmd) -> Result<()> {
    let policies = hedui_app::policy::Policies::open(policy_dir())?;
    let date = |d: &Option<String>| d.as_deref().map(parse_date).transpose().map(|d| d.unwrap_or_else(today));
    match cmd {
        PolicyCmd::Check { as_of } => {
            let as_of = date(&as_of)?;
            let set = policies.current();
            let mut failures = 0;
            let regions: Vec<String> = set.docs().map(|d| d.region.clone()).collect();
            for doc in set.docs() {
                println!("{}  {}（参数 {}，规则 {}）", doc.region, doc.name, doc.parameters.len(), doc.rules.len());
                // A province whose cities have documents is used only through them.
                if doc.region.len() == 2 && regions.iter().any(|r| r.len() > 2 && r.starts_with(&doc.region)) {
                    println!("  （省级文件，通过下级文件使用）");
                    continue;
                }
                let res = match set.resolve(&doc.region, as_of) {
                    Ok(r) => r,
                    Err(e) => {
                        failures += 1;
                        println!("  ✗ {e}");
                        continue;
                    }
                };
                for p in res.programmes.keys() {
                    match hedui_core::rules::compile(&res, *p) {
                        Ok(prog) => println!(
                            "  ✓ {}：{} 个变量，{} 条规则，{} 个参数",
                            p.name_zh(),
                            prog.vars.len(),
                            prog.rules.len(),
                            prog.params.len()
                        ),
                        Err(e) => {
                            failures += 1;
                            println!("  ✗ {}：{e}", p.name_zh());
                        }
                    }
                }
            }
            if failures > 0 {
                bail!("{failures} 项政策在 {as_of} 不能使用");
            }
            Ok(())
        }
        PolicyCmd::Show { region, as_of, programme } => {
            let as_of = date(&as_of)?;
            let p = hedui_core::programme::Programme::from_code(&programme)
                .with_context(|| format!("未知的救助项目 {programme}"))?;
            let compiled = policies.program(&region, as_of, p)?;
            let (prog, res) = (&compiled.program, &compiled.resolved);
            println!("{} · 地区 {} · {}", p.name_zh(), res.region, as_of);
            for (r, n) in &res.chain {
                println!("  政策文件 {r}：{n}");
            }
            println!("参数：");
            for param in &prog.params {
                println!("  {}", param.describe());
            }
            println!("规则：");
            for r in &prog.rules {
                let v = &prog.vars[r.var];
                let when =
                    r.when.as_deref().map(|w| format!("（适用：{w}；优先级 {}）", r.priority)).unwrap_or_default();
                println!("  {}（{}）= {}{}  [{}，地区 {}]", v.title, v.name, r.expr, when, r.doc, r.region);
            }
            Ok(())
        }
        PolicyCmd::Simulate { db, key, changes, as_of, json } => {
            let as_of = date(&as_of)?;
            let changes: Vec<_> =
                changes.iter().map(|c| hedui_app::simulate::Change::parse(c)).collect::<Result<_, _>>()?;
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app(store, keys, Vec::new(), Arc::new(SystemClock), policy_dir())?;
            let sim = app.simulate(&Actor::system("cli-policy-simulate"), &changes, as_of)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sim)?);
                return Ok(());
            }
            println!("政策模拟（{}）：{}", as_of, sim.changes.join("；"));
            println!(
                "地区\t项目\t户数\t原符合\t现符合\t新增符合\t不再符合\t原月支出（元）\t现月支出（元）\t变化（元）"
            );
            for r in sim.rows.iter().chain(std::iter::once(&sim.total)) {
                println!(
                    "{}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.region_name,
                    if r.region.is_empty() { String::new() } else { format!("（{}）", r.region) },
                    r.programme_name,
                    r.households,
                    r.eligible_before,
                    r.eligible_after,
                    r.newly_eligible,
                    r.newly_ineligible,
                    r.cost_before,
                    r.cost_after,
                    r.cost_change
                );
            }
            for e in &sim.errors {
                println!("未能测算：{e}");
            }
            Ok(())
        }
    }
}

fn report_cmd(cmd: ReportCmd) -> Result<()> {
    use hedui_app::sign::{self, Format};
    match cmd {
        ReportCmd::Verify { file, public_key } => {
            let bytes = std::fs::read(&file).with_context(|| format!("读取 {}", file.display()))?;
            match sign::verify(&bytes, public_key.as_deref()) {
                Ok(s) => {
                    println!(
                        "签名有效：报告 {} 第 {} 版（{}），签发人 {}",
                        s.report,
                        s.version,
                        s.format.code(),
                        s.signer
                    );
                    println!("算法 {}，内容 SM3 {}", s.alg, s.sm3);
                    match &s.seal {
                        Some(seal) => println!(
                            "签发记录有效：核对任务 {}，户 {}，结论 {}，完成与签发均已签名（签发于 {}{}）",
                            seal.job,
                            seal.household,
                            hedui_core::means_test::Outcome::from_code(&seal.outcome)
                                .map_or(seal.outcome.as_str(), |o| o.name_zh()),
                            seal.issued_at,
                            if seal.signed_in_migration { "，旧版报告由迁移补签" } else { "" }
                        ),
                        None => println!("注意：文件未附签发记录"),
                    }
                    if public_key.is_none() {
                        println!("注意：未指定 --public-key，只证明文件未被修改；签发人公钥为 {}", s.public_key);
                    }
                    Ok(())
                }
                Err(e) => bail!("{}：{e}", file.display()),
            }
        }
        ReportCmd::Key { key } => {
            let keys = hedui::keys::load(&key)?.0;
            let signer = hedui_app::sign::ReportSigner::derive(&keys, hedui::REPORT_NODE);
            println!(
                "{}",
                serde_json::json!({"signer": signer.signer(), "alg": "SM2-with-SM3", "public_key": signer.public().sign})
            );
            Ok(())
        }
        ReportCmd::Export { db, key, job, version, format, out } => {
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app(store, keys, Vec::new(), Arc::new(SystemClock), policy_dir())?;
            let actor = Actor::system("cli-report-export");
            let job = hedui_core::JobId(job);
            let bytes = match format.as_str() {
                "pdf" => app.report_file(&actor, job, version, Format::Pdf)?,
                "json" => app.report_file(&actor, job, version, Format::Json)?,
                "html" => {
                    let r = app.report(&actor, job, version)?;
                    let app = Arc::new(app);
                    let web = hedui_web::Web::new(app.clone());
                    let html = hedui_web::report_html(&web, Some(&actor), &r)?;
                    app.sign_report(&r, Format::Html, html.as_bytes())?
                }
                other => bail!("未知格式 {other}（可用 pdf、html、json）"),
            };
            std::fs::write(&out, &bytes).with_context(|| format!("写入 {}", out.display()))?;
            println!("已写出 {}（{} 字节，已用 SM2 签名）", out.display(), bytes.len());
            Ok(())
        }
    }
}
