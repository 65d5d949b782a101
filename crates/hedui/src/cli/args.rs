//! The command line's shape: every command, subcommand and flag (clap). Flags that are also
//! settings name their configuration key and variable in brackets.

use std::path::PathBuf;

pub(crate) use super::args_keys::{KeyCmd, UkeyCmd};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "hedui", version, about = "核对：社会救助家庭经济状况核对平台")]
pub(crate) struct Cli {
    /// The configuration file (TOML; or HEDUI_CONFIG). Settings are layered: defaults, this
    /// file, HEDUI_* environment variables, then the command line. See `hedui config show`.
    #[arg(long, global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Policy documents (`32.json`, `3204.json` …); the embedded demo policy when absent.
    /// Edits take effect at the next verification, without a restart. [policy.dir, HEDUI_POLICY_DIR]
    #[arg(long, global = true)]
    pub(crate) policy_dir: Option<PathBuf>,
    /// The operator of a command that reads or changes personal data (import, exchange, jobs,
    /// report export, policy simulate, audit retention and purge): a user's login (or
    /// HEDUI_OPERATOR). The password, and the six-digit code of the user's token or authenticator
    /// app when they have one, are read from standard input, one a line.
    #[arg(long, global = true)]
    pub(crate) operator: Option<String>,
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Cmd {
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
        /// SQLite file path, or a postgres:// URL. [database.url, HEDUI_DATABASE_URL]
        #[arg(long)]
        db: Option<String>,
        /// Master key file (or set HEDUI_MASTER_KEY). [keys.master_key_file, HEDUI_MASTER_KEY_FILE]
        #[arg(long)]
        key: Option<PathBuf>,
        /// A generated city whose banks answer queries in process (without --sources).
        #[arg(long)]
        city: Option<PathBuf>,
        /// Catalog file (the embedded demo catalog when absent). [exchange.catalog]
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Collect from the catalog's online sources; relative endpoints live under this URL.
        /// [exchange.sources]
        #[arg(long)]
        sources: Option<String>,
        /// hedui's own address as institutions reach it, for asynchronous callbacks.
        /// [server.public_url]
        #[arg(long)]
        public_url: Option<String>,
        /// [server.bind]
        #[arg(long)]
        bind: Option<String>,
        /// [server.port]
        #[arg(long)]
        port: Option<u16>,
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
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
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
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// The configuration: `show` prints the effective settings, secrets redacted, each with
    /// where it came from (default, file, environment or command line).
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Set up a new deployment: create its master key (never over an existing one) and its
    /// database, and record the key's fingerprint in it.
    Init {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Users of this node.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// The database's roles on PostgreSQL: `grants` prints the SQL that lets the application's
    /// role only insert and read audit rows, and the purge role delete them.
    Db {
        #[command(subcommand)]
        cmd: DbCmd,
    },
    /// The master key's escrow: `split` cuts it into k-of-n shares for custodians, `join` puts it
    /// back together from any k of them.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// A software UKey (`new`, `sign`) for the demo and test nodes: an SM2 key that signs login
    /// challenges and reports' approval statements as a 审核员's UKey does.
    Ukey {
        #[command(subcommand)]
        cmd: UkeyCmd,
    },
    /// Back up a SQLite node's database while it runs (a consistent copy, after a signed
    /// checkpoint). PostgreSQL: a base backup and WAL archiving (see the README).
    Backup {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// The backup file to write (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a SQLite node's database from a backup: refused unless the backup was made under
    /// the key given; marks the restore in the audit chains with a signed checkpoint.
    Restore {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database (it is kept beside as `<db>.replaced-<time>`).
        #[arg(long)]
        replace: bool,
    },
    /// The audit trail: check its chains against the exported checkpoints, make a checkpoint, show
    /// the retention schedule and purge what is past it.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Retention: `plan` shows the schedule and what is due, `run` deletes it (the same as
    /// `hedui audit retention` and `hedui audit purge`). For the 审计管理员 (`--operator`).
    Retention {
        #[command(subcommand)]
        cmd: RetentionCmd,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum RetentionCmd {
    /// The schedule and what is due now.
    Plan {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Delete what is past its retention period (audit chains under the purge role, then case
    /// data), leaving a signed checkpoint where each chain restarts.
    Run {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

impl Cli {
    /// The command with its aliases resolved: `retention plan|run` are `audit retention|purge`.
    pub(crate) fn normalized(mut self) -> Cli {
        if let Cmd::Retention { cmd } = self.cmd {
            self.cmd = Cmd::Audit {
                cmd: match cmd {
                    RetentionCmd::Plan { db, key } => AuditCmd::Retention { db, key },
                    RetentionCmd::Run { db, key } => AuditCmd::Purge { db, key },
                },
            };
        }
        self
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum DbCmd {
    /// Print the grants for the application's role and the purge role (run them as the owner
    /// after `hedui migrate`).
    Grants {
        #[arg(long)]
        app_role: String,
        #[arg(long)]
        purge_role: String,
        #[arg(long, default_value = "public")]
        schema: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AuditCmd {
    /// Check every audit row's MAC, place and link, and the chain against exported checkpoints;
    /// names each edited, deleted or reordered row, a truncated tail and a rewritten stretch.
    /// Exits with status 1 when anything is wrong.
    Verify {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// Files of exported checkpoints (JSON lines); the configured `audit.checkpoint_file`
        /// when none is given.
        #[arg(long = "checkpoints")]
        checkpoints: Vec<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of the chain now and export it (`hedui serve` makes one periodically).
    Checkpoint {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// Mark the database as just restored by other means (a PostgreSQL point-in-time
        /// recovery): `restore` checkpoints, so that `verify` tells the rows lost from tampering.
        #[arg(long)]
        restored: bool,
    },
    /// The retention schedule and what is due now (for the 审计管理员: `--operator`).
    Retention {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Delete what is past its retention period, under the purge role (`database.purge_url`),
    /// leaving a signed checkpoint where each chain restarts. For the 审计管理员 (`--operator`).
    Purge {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum UserCmd {
    /// Create the first user, a 安全管理员, while the node has no user at all. The password is
    /// read from standard input (one line), never from the command line.
    Bootstrap {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long)]
        login: String,
        /// The name shown for the user.
        #[arg(long)]
        name: String,
    },
    /// Recover the 安全管理员 when the last one is locked out or lost: needs the master key and a
    /// second person, another 系统管理员 or 审计管理员, who confirms. Standard input gives, one a
    /// line: the new password, the witness's password, and the witness's six-digit code (token or
    /// app) when they have one. The account is reset and unlocked (or created); audited and raised as a security event.
    Recover {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// The 安全管理员 account to recover (created when it does not exist).
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "安全管理员")]
        name: String,
        /// The second person's login.
        #[arg(long)]
        witness: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCmd {
    /// Print the effective configuration (TOML), secrets redacted.
    Show,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ExchangeCmd {
    /// Print this node's public keys (JSON), for the institutions it queries.
    Keys {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long, default_value = "hedui-320400")]
        node: String,
        /// Make a new exchange key first (the old one is retired); give the institutions the new
        /// public keys before restarting the node.
        #[arg(long)]
        roll: bool,
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
pub(crate) enum ReportCmd {
    /// Checks a report file's SM2 signature (offline); with --public-key, also who signed it.
    Verify {
        file: PathBuf,
        /// The issuing node's report-signing key (from `hedui report key` or
        /// /api/v1/reports/signing-key).
        #[arg(long)]
        public_key: Option<String>,
        /// The organization's electronic seal (GB/T 38540, `.ses`) over a signed JSON report:
        /// checked too.
        #[arg(long)]
        seal: Option<PathBuf>,
    },
    /// Writes a job's report as a signed file.
    Export {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
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
    /// Prints this node's report-signing public key (the active one), and every key it has had.
    Key {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCmd {
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
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
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
pub(crate) enum JobsCmd {
    /// Run every submitted job, collecting from the catalog's online sources.
    Run(JobsArgs),
    /// Finish the jobs an interrupted run left dispatched.
    Resume(JobsArgs),
}

/// The database, the master key and the source catalog of this node.
#[derive(clap::Args, Debug)]
pub(crate) struct NodeArgs {
    /// [database.url, HEDUI_DATABASE_URL]
    #[arg(long)]
    pub(crate) db: Option<String>,
    /// [keys.master_key_file, HEDUI_MASTER_KEY_FILE]
    #[arg(long)]
    pub(crate) key: Option<PathBuf>,
    /// Catalog file (the embedded demo catalog when absent).
    #[arg(long)]
    pub(crate) catalog: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct JobsArgs {
    #[command(flatten)]
    pub(crate) node: NodeArgs,
    /// Base URL of sources with relative endpoints (the simulator's address).
    #[arg(long)]
    pub(crate) sources: Option<String>,
    /// Give up on sources that have not answered after this many seconds.
    /// [exchange.collect_within_secs]
    #[arg(long)]
    pub(crate) collect_within: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum IdCmd {
    /// Check ID numbers, one per line, from a file or stdin.
    Check { file: Option<PathBuf> },
}
