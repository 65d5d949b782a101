//! hedui's configuration, in layers: built-in defaults → a TOML file (`--config` or
//! `HEDUI_CONFIG`) → environment variables → the command line, each layer overriding the one
//! before. Secrets also come from files (`HEDUI_DATABASE_URL_FILE`, `HEDUI_MASTER_KEY_FILE`), so
//! that they need not sit in the environment; they are redacted whenever the configuration is
//! printed. An unknown key in the file or an unknown `HEDUI_*` variable is warned about (a typo
//! would otherwise be silently ignored), and a value of the wrong type is refused naming the key.
//!
//! `SETTINGS` is the one list of settings: its key in the file, its environment variable and
//! whether it is a secret. `hedui config show` prints the result with where each value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

pub use crate::config_sections::{AuditConfig, ReportsConfig};

/// Everything a deployment configures. Loading always starts from [`Config::default`], so every
/// section is complete before a layer changes it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Config {
    pub database: DatabaseConfig,
    pub keys: KeysConfig,
    pub server: ServerConfig,
    pub policy: PolicyConfig,
    pub exchange: ExchangeConfig,
    pub security: SecurityConfig,
    pub audit: AuditConfig,
    #[serde(default)]
    pub reports: ReportsConfig,
    pub log: LogConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DatabaseConfig {
    /// A SQLite file path, or a `postgres://` URL (which may carry a password: a secret).
    pub url: String,
    /// The purge role's URL, for retention runs (PostgreSQL); the same database as `url`. When
    /// absent, a run uses `url` (a SQLite node, or a PostgreSQL node without separate roles).
    pub purge_url: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeysConfig {
    /// The master key file (64 hex characters). `HEDUI_MASTER_KEY` itself, when set, wins.
    pub master_key_file: PathBuf,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServerConfig {
    pub bind: String,
    pub port: u16,
    /// hedui's own address as institutions reach it, for asynchronous callbacks.
    pub public_url: Option<String>,
    /// TLS in hedui itself: the certificate chain and its private key (PEM). Without them hedui
    /// speaks plain HTTP, for a deployment behind a TLS or 国密 TLCP gateway.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// Lock-out, sessions, unusual-access thresholds and where administrators may log in from: the
/// security administrator's policies.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SecurityConfig {
    /// Failed logins in a row that lock an account.
    pub max_failures: i64,
    pub lock_minutes: i64,
    /// A session unused this long ends.
    pub idle_minutes: i64,
    /// A session ends this long after login.
    pub session_hours: i64,
    /// Reads or downloads of personal data by one user in an hour that raise an event.
    pub alert_reads_per_hour: i64,
    /// Refusals of one user in an hour that raise an event.
    pub alert_denials_per_hour: i64,
    /// Address ranges (CIDR, comma-separated) the three administrators may log in from; empty
    /// for anywhere.
    pub admin_networks: String,
    /// Every user needs a second factor; until it is enrolled a session may only enrol it.
    pub require_second_factor: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct PolicyConfig {
    /// Policy documents; the embedded demo policy when absent.
    pub dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExchangeConfig {
    /// The source catalog; the embedded demo catalog when absent.
    pub catalog: Option<PathBuf>,
    /// How departments' snapshot columns become records; the embedded mappings when absent.
    pub mappings: Option<PathBuf>,
    /// Base URL of sources with relative endpoints.
    pub sources: Option<String>,
    /// A collection gives up on sources that have not answered after this many seconds.
    pub collect_within_secs: u64,
    /// Requests in flight at once, over all sources.
    pub concurrency: usize,
    /// How often an accepted (asynchronous) request is asked for its state.
    pub poll_every_ms: u64,
    /// Threads of the runtime that carries requests.
    pub runtime_threads: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LogConfig {
    /// A tracing filter, e.g. `warn` or `hedui_app=info,warn`.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database: DatabaseConfig { url: "hedui-data/hedui.db".into(), purge_url: None },
            keys: KeysConfig { master_key_file: PathBuf::from("hedui-data/master.key") },
            server: ServerConfig {
                bind: "127.0.0.1".into(),
                port: 8080,
                public_url: None,
                tls_cert: None,
                tls_key: None,
            },
            policy: PolicyConfig::default(),
            exchange: ExchangeConfig {
                catalog: None,
                mappings: None,
                sources: None,
                collect_within_secs: 600,
                concurrency: 64,
                poll_every_ms: 500,
                runtime_threads: 2,
            },
            security: SecurityConfig {
                max_failures: 5,
                lock_minutes: 30,
                idle_minutes: 30,
                session_hours: 8,
                alert_reads_per_hour: 50,
                alert_denials_per_hour: 10,
                admin_networks: String::new(),
                require_second_factor: true,
            },
            audit: AuditConfig {
                checkpoint_file: None,
                checkpoint_syslog: false,
                checkpoint_minutes: 10,
                retention_file: None,
            },
            reports: ReportsConfig::default(),
            log: LogConfig { filter: "warn".into() },
        }
    }
}

impl SecurityConfig {
    /// The lock-out and session limits as the app takes them.
    pub fn login_policy(&self) -> hedui_app::admin::users::LoginPolicy {
        hedui_app::admin::users::LoginPolicy {
            max_failures: self.max_failures.max(1),
            lock_seconds: self.lock_minutes.max(1) * 60,
            idle_seconds: self.idle_minutes.max(1) * 60,
            absolute_seconds: self.session_hours.max(1) * 3600,
        }
    }

    /// The unusual-access thresholds.
    pub fn alert_policy(&self) -> hedui_app::admin::security::AlertPolicy {
        hedui_app::admin::security::AlertPolicy {
            reads_per_hour: self.alert_reads_per_hour.max(1) as usize,
            denials_per_hour: self.alert_denials_per_hour.max(1) as usize,
            ..Default::default()
        }
    }

    /// The administrators' address ranges; an unreadable one is an error naming it.
    pub fn admin_networks(&self) -> Result<Vec<hedui_app::admin::networks::Network>> {
        self.admin_networks
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                hedui_app::admin::networks::Network::parse(n)
                    .ok_or_else(|| anyhow!("配置项 security.admin_networks 中的“{n}”不是地址段（如 10.0.0.0/8）"))
            })
            .collect()
    }
}

impl ExchangeConfig {
    /// The exchange's tunables as the app takes them.
    pub fn tuning(&self) -> crate::exchange::Tuning {
        crate::exchange::Tuning {
            collect_within: Duration::from_secs(self.collect_within_secs),
            concurrency: self.concurrency.max(1),
            poll_every: Duration::from_millis(self.poll_every_ms.max(1)),
            runtime_threads: self.runtime_threads.max(1),
        }
    }
}

/// One setting: its key in the file and its environment variable.
#[derive(Debug)]
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    /// Redacted when printed; may also be read from the file named by `<env>_FILE`.
    pub secret: bool,
}

/// Every setting, once.
pub const SETTINGS: &[Setting] = &[
    Setting { key: "database.url", env: "HEDUI_DATABASE_URL", secret: true },
    Setting { key: "database.purge_url", env: "HEDUI_DATABASE_PURGE_URL", secret: true },
    Setting { key: "keys.master_key_file", env: "HEDUI_MASTER_KEY_FILE", secret: false },
    Setting { key: "server.bind", env: "HEDUI_BIND", secret: false },
    Setting { key: "server.port", env: "HEDUI_PORT", secret: false },
    Setting { key: "server.public_url", env: "HEDUI_PUBLIC_URL", secret: false },
    Setting { key: "policy.dir", env: "HEDUI_POLICY_DIR", secret: false },
    Setting { key: "exchange.catalog", env: "HEDUI_CATALOG", secret: false },
    Setting { key: "exchange.mappings", env: "HEDUI_MAPPINGS", secret: false },
    Setting { key: "exchange.sources", env: "HEDUI_SOURCES", secret: false },
    Setting { key: "exchange.collect_within_secs", env: "HEDUI_COLLECT_WITHIN_SECS", secret: false },
    Setting { key: "exchange.concurrency", env: "HEDUI_EXCHANGE_CONCURRENCY", secret: false },
    Setting { key: "exchange.poll_every_ms", env: "HEDUI_EXCHANGE_POLL_EVERY_MS", secret: false },
    Setting { key: "exchange.runtime_threads", env: "HEDUI_EXCHANGE_RUNTIME_THREADS", secret: false },
    Setting { key: "server.tls_cert", env: "HEDUI_TLS_CERT", secret: false },
    Setting { key: "server.tls_key", env: "HEDUI_TLS_KEY", secret: false },
    Setting { key: "security.max_failures", env: "HEDUI_MAX_FAILURES", secret: false },
    Setting { key: "security.lock_minutes", env: "HEDUI_LOCK_MINUTES", secret: false },
    Setting { key: "security.idle_minutes", env: "HEDUI_IDLE_MINUTES", secret: false },
    Setting { key: "security.session_hours", env: "HEDUI_SESSION_HOURS", secret: false },
    Setting { key: "security.alert_reads_per_hour", env: "HEDUI_ALERT_READS_PER_HOUR", secret: false },
    Setting { key: "security.alert_denials_per_hour", env: "HEDUI_ALERT_DENIALS_PER_HOUR", secret: false },
    Setting { key: "security.admin_networks", env: "HEDUI_ADMIN_NETWORKS", secret: false },
    Setting { key: "security.require_second_factor", env: "HEDUI_REQUIRE_SECOND_FACTOR", secret: false },
    Setting { key: "audit.checkpoint_file", env: "HEDUI_AUDIT_CHECKPOINT_FILE", secret: false },
    Setting { key: "audit.checkpoint_syslog", env: "HEDUI_AUDIT_CHECKPOINT_SYSLOG", secret: false },
    Setting { key: "audit.checkpoint_minutes", env: "HEDUI_AUDIT_CHECKPOINT_MINUTES", secret: false },
    Setting { key: "audit.retention_file", env: "HEDUI_AUDIT_RETENTION_FILE", secret: false },
    Setting { key: "reports.review", env: "HEDUI_REPORTS_REVIEW", secret: false },
    Setting { key: "reports.organization", env: "HEDUI_REPORTS_ORGANIZATION", secret: false },
    Setting { key: "reports.seal_picture", env: "HEDUI_REPORTS_SEAL_PICTURE", secret: false },
    Setting { key: "reports.seal_certificate", env: "HEDUI_REPORTS_SEAL_CERTIFICATE", secret: false },
    Setting { key: "log.filter", env: "HEDUI_LOG", secret: false },
];

/// `HEDUI_*` variables that are not settings but are known: the configuration file itself, the
/// master key (read by `keys`, never stored in the configuration) and the test harness's.
const OTHER_ENV: &[&str] = &[
    "HEDUI_CONFIG",
    "HEDUI_MASTER_KEY",
    "HEDUI_TEST_PG_URL",
    "HEDUI_REQUIRE_PG",
    "HEDUI_REQUIRE_LIBREOFFICE",
    "HEDUI_REQUIRE_PDFTOTEXT",
    "HEDUI_REQUIRE_CHROMIUM",
];

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    CommandLine,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Default => write!(f, "默认值"),
            Origin::File(p) => write!(f, "配置文件 {}", p.display()),
            Origin::Env(v) => write!(f, "环境变量 {v}"),
            Origin::CommandLine => write!(f, "命令行"),
        }
    }
}

/// The effective configuration, where each value came from, and the warnings met on the way.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub origins: BTreeMap<String, Origin>,
    pub warnings: Vec<String>,
}

/// What the layers are read from: passed in, so that tests need not touch the process.
#[derive(Debug, Default)]
pub struct Sources {
    /// The configuration file, if one was named.
    pub file: Option<PathBuf>,
    /// The environment (`std::env::vars()` in the binary).
    pub env: BTreeMap<String, String>,
    /// Settings given on the command line, by key.
    pub command_line: Vec<(&'static str, String)>,
}

impl Sources {
    /// The process's environment, with the file from `--config` or else `HEDUI_CONFIG`.
    pub fn from_process(config_flag: Option<&Path>) -> Sources {
        let env: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("HEDUI_")).collect();
        let file = config_flag.map(Path::to_path_buf).or_else(|| env.get("HEDUI_CONFIG").map(PathBuf::from));
        Sources { file, env, command_line: Vec::new() }
    }

    /// Adds a command-line value for `key` when the flag was given.
    pub fn flag(&mut self, key: &'static str, value: Option<impl ToString>) -> &mut Sources {
        if let Some(v) = value {
            self.command_line.push((key, v.to_string()));
        }
        self
    }
}

/// Reads every layer in turn.
pub fn load(src: &Sources) -> Result<Loaded> {
    let mut table = match toml::Value::try_from(Config::default())? {
        toml::Value::Table(t) => t,
        _ => bail!("the default configuration is not a table"),
    };
    let mut origins: BTreeMap<String, Origin> = SETTINGS.iter().map(|s| (s.key.to_string(), Origin::Default)).collect();
    let mut warnings = Vec::new();

    if let Some(path) = &src.file {
        let text = std::fs::read_to_string(path).with_context(|| format!("读取配置文件 {}", path.display()))?;
        let file: toml::Table =
            toml::from_str(&text).with_context(|| format!("配置文件 {} 格式有误", path.display()))?;
        for (section, value) in &file {
            let Some(items) = value.as_table() else {
                warnings.push(format!("配置文件 {}：未知的配置项 {section}（已忽略）", path.display()));
                continue;
            };
            for (name, v) in items {
                let key = format!("{section}.{name}");
                if SETTINGS.iter().any(|s| s.key == key) {
                    set(&mut table, &key, v.clone());
                    origins.insert(key, Origin::File(path.clone()));
                } else {
                    warnings.push(format!("配置文件 {}：未知的配置项 {key}（已忽略）", path.display()));
                }
            }
        }
    }

    if let Some(path) = &src.file {
        check(&table, &format!("配置文件 {}", path.display()))?;
    }

    for (name, value) in &src.env {
        let known = SETTINGS.iter().any(|s| s.env == name || (s.secret && format!("{}_FILE", s.env) == *name));
        if !known && !OTHER_ENV.contains(&name.as_str()) {
            warnings.push(format!("未知的环境变量 {name}（已忽略）"));
        }
        let _ = value;
    }
    for s in SETTINGS {
        let from_file = format!("{}_FILE", s.env);
        let (value, origin) = match (src.env.get(s.env), src.env.get(&from_file)) {
            (Some(v), _) => (v.clone(), s.env.to_string()),
            (None, Some(path)) if s.secret => {
                let v = std::fs::read_to_string(path).with_context(|| format!("读取 {from_file} 指向的文件 {path}"))?;
                (v.trim().to_string(), format!("{from_file}（{path}）"))
            }
            _ => continue,
        };
        let value = typed(&table, s.key, &value)?;
        set(&mut table, s.key, value);
        origins.insert(s.key.to_string(), Origin::Env(origin));
    }

    check(&table, "环境变量")?;

    for (key, value) in &src.command_line {
        let value = typed(&table, key, value)?;
        set(&mut table, key, value);
        origins.insert(key.to_string(), Origin::CommandLine);
    }

    let config: Config =
        toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| anyhow!("命令行参数有误：{e}"))?;
    Ok(Loaded { config, origins, warnings })
}

/// Whether the settings so far make a configuration; a value of the wrong type or out of range
/// is refused naming the layer that gave it and the setting.
fn check(table: &toml::Table, layer: &str) -> Result<()> {
    toml::Value::Table(table.clone())
        .try_into::<Config>()
        .map(|_| ())
        .map_err(|e| anyhow!("{layer}中的配置有误：{}", e.to_string().trim()))
}

/// A text value from the environment or the command line, typed like the setting's default
/// (so that `HEDUI_PORT=80` is a number and `HEDUI_PORT=eighty` is refused naming the variable).
fn typed(table: &toml::Table, key: &str, text: &str) -> Result<toml::Value> {
    let (section, name) = key.split_once('.').ok_or_else(|| anyhow!("配置项 {key}"))?;
    let current = table.get(section).and_then(|s| s.get(name));
    Ok(match current {
        Some(toml::Value::Integer(_)) => {
            toml::Value::Integer(text.trim().parse().map_err(|_| anyhow!("配置项 {key} 应为整数，而给出的是“{text}”"))?)
        }
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match text.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => bail!("配置项 {key} 应为 true 或 false，而给出的是“{text}”"),
        }),
        _ => toml::Value::String(text.to_string()),
    })
}

fn set(table: &mut toml::Table, key: &str, value: toml::Value) {
    if let Some((section, name)) = key.split_once('.') {
        let entry = table.entry(section.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(t) = entry.as_table_mut() {
            t.insert(name.to_string(), value);
        }
    }
}

/// A database URL with its password replaced by `****`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_string(),
    }
}

impl Loaded {
    /// The effective configuration as TOML, secrets redacted, each value with where it came from.
    pub fn show(&self) -> Result<String> {
        let mut shown = self.config.clone();
        shown.database.url = redact_url(&shown.database.url);
        let table = match toml::Value::try_from(&shown)? {
            toml::Value::Table(t) => t,
            _ => bail!("the configuration is not a table"),
        };
        let mut out = String::new();
        for (section, items) in &table {
            out.push_str(&format!("[{section}]\n"));
            let Some(items) = items.as_table() else { continue };
            for (name, value) in items {
                let key = format!("{section}.{name}");
                let origin = self.origins.get(&key).map(ToString::to_string).unwrap_or_default();
                out.push_str(&format!("{name} = {value}  # {origin}\n"));
            }
            // Settings whose value is absent (an optional path, say) are listed as comments.
            for s in SETTINGS.iter().filter(|s| s.key.starts_with(&format!("{section}."))) {
                let name = &s.key[section.len() + 1..];
                if !items.contains_key(name) {
                    out.push_str(&format!("# {name} =  (未设置；环境变量 {})\n", s.env));
                }
            }
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn layers_override_in_order_and_say_where_each_value_came_from() {
        let dir = std::env::temp_dir().join(format!("hedui-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hedui.toml");
        std::fs::write(
            &file,
            "[database]\nurl = \"from-file.db\"\n[server]\nport = 9000\nbind = \"0.0.0.0\"\n\
             [exchange]\nconcurrency = 16\nconcurency = 3\n[loggin]\nfilter = \"x\"\n",
        )
        .unwrap();
        let mut src = Sources {
            file: Some(file.clone()),
            env: env(&[("HEDUI_PORT", "9100"), ("HEDUI_EXCHANGE_CONCURRENCY", "32"), ("HEDUI_PROT", "1")]),
            command_line: Vec::new(),
        };
        src.flag("exchange.concurrency", Some(8));
        let l = load(&src).unwrap();
        assert_eq!(l.config.database.url, "from-file.db");
        assert_eq!(l.config.server.bind, "0.0.0.0");
        assert_eq!(l.config.server.port, 9100, "the environment overrides the file");
        assert_eq!(l.config.exchange.concurrency, 8, "the command line overrides everything");
        assert_eq!(l.config.exchange.poll_every_ms, 500, "what no layer sets keeps its default");
        assert_eq!(l.origins["database.url"], Origin::File(file.clone()));
        assert_eq!(l.origins["server.port"], Origin::Env("HEDUI_PORT".into()));
        assert_eq!(l.origins["exchange.concurrency"], Origin::CommandLine);
        assert_eq!(l.origins["exchange.poll_every_ms"], Origin::Default);
        let w = l.warnings.join("\n");
        assert!(w.contains("exchange.concurency"), "{w}");
        assert!(w.contains("loggin"), "{w}");
        assert!(w.contains("HEDUI_PROT"), "{w}");
        assert_eq!(l.warnings.len(), 3, "{w}");
        let shown = l.show().unwrap();
        assert!(shown.contains("port = 9100  # 环境变量 HEDUI_PORT"), "{shown}");
        assert!(shown.contains("# dir =  (未设置；环境变量 HEDUI_POLICY_DIR)"), "{shown}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn secrets_come_from_files_and_are_redacted() {
        let dir = std::env::temp_dir().join(format!("hedui-config-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("db-url");
        std::fs::write(&secret, "postgres://hedui:s3cret-pw@db.internal/hedui\n").unwrap();
        let src = Sources { env: env(&[("HEDUI_DATABASE_URL_FILE", secret.to_str().unwrap())]), ..Sources::default() };
        let l = load(&src).unwrap();
        assert_eq!(l.config.database.url, "postgres://hedui:s3cret-pw@db.internal/hedui");
        assert!(matches!(&l.origins["database.url"], Origin::Env(e) if e.starts_with("HEDUI_DATABASE_URL_FILE")));
        let shown = l.show().unwrap();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://hedui:****@db.internal/hedui"), "{shown}");
        // The variable itself wins over its file.
        let src = Sources {
            env: env(&[("HEDUI_DATABASE_URL", "direct.db"), ("HEDUI_DATABASE_URL_FILE", secret.to_str().unwrap())]),
            ..Sources::default()
        };
        assert_eq!(load(&src).unwrap().config.database.url, "direct.db");
        // A *_FILE variant exists only for secrets.
        let src = Sources { env: env(&[("HEDUI_PORT_FILE", "/nonexistent")]), ..Sources::default() };
        assert!(load(&src).unwrap().warnings.iter().any(|w| w.contains("HEDUI_PORT_FILE")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_value_out_of_range_or_of_the_wrong_type_names_its_layer() {
        let dir = std::env::temp_dir().join(format!("hedui-config-type-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hedui.toml");
        std::fs::write(&file, "[server]\nport = \"eighty\"\n").unwrap();
        let e = load(&Sources { file: Some(file.clone()), ..Sources::default() }).unwrap_err().to_string();
        assert!(e.contains(&file.display().to_string()) && e.contains("server.port"), "{e}");
        let e = load(&Sources { env: env(&[("HEDUI_PORT", "70000")]), ..Sources::default() }).unwrap_err().to_string();
        assert!(e.contains("环境变量") && e.contains("server.port"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_naming_its_key() {
        let src = Sources { env: env(&[("HEDUI_PORT", "eighty")]), ..Sources::default() };
        let e = load(&src).unwrap_err().to_string();
        assert!(e.contains("server.port") && e.contains("eighty"), "{e}");
        let mut src = Sources::default();
        src.flag("exchange.collect_within_secs", Some("soon"));
        assert!(load(&src).unwrap_err().to_string().contains("exchange.collect_within_secs"));
    }

    #[test]
    fn every_setting_has_its_place_in_the_defaults() {
        let table = match toml::Value::try_from(Config::default()).unwrap() {
            toml::Value::Table(t) => t,
            _ => unreachable!(),
        };
        let l = load(&Sources::default()).unwrap();
        assert_eq!(l.config, Config::default());
        for s in SETTINGS {
            let (section, _) = s.key.split_once('.').unwrap();
            assert!(table.contains_key(section), "{}", s.key);
            assert!(s.env.starts_with("HEDUI_"), "{}", s.env);
        }
        assert_eq!(redact_url("hedui.db"), "hedui.db");
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
    }
}
