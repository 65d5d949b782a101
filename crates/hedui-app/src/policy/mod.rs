//! The policy files hedui runs on, reloaded when they change on disk.
//!
//! A deployment points hedui at a directory of policy documents (`32.json`, `3204.json`,
//! `320412.json` …). Every use checks the files' sizes and modification times; when one changed,
//! the whole directory is read and checked again, and only a set that loads completely replaces
//! the one in use. A broken edit never takes effect: the previous policy stays, and the error is
//! kept for the policy page and the log. Without a directory, the embedded demo policy is used.

pub mod simulate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use hedui_core::Date;
use hedui_core::programme::Programme;
use hedui_rules::{PolicySet, Program, Resolved, compile};

use crate::{AppError, AppResult};

const EMBEDDED: [(&str, &str); 3] = [
    ("32.json", include_str!("../../../../data/policy/32.json")),
    ("3204.json", include_str!("../../../../data/policy/3204.json")),
    ("320412.json", include_str!("../../../../data/policy/320412.json")),
];

type Stamp = Vec<(String, Option<SystemTime>, u64)>;

struct Loaded {
    set: Arc<PolicySet>,
    stamp: Stamp,
    error: Option<String>,
}

/// The store and clock reload audit rows are written with.
type AuditSink = (Arc<dyn hedui_store::Store>, Arc<dyn crate::Clock>);

/// A programme compiled for one region and date, with the policy it was compiled from.
#[derive(Debug)]
pub struct Compiled {
    pub program: Program,
    pub resolved: Resolved,
}

/// Entries kept before the cache starts again: far more than the regions × dates × programmes a
/// run meets, and a bound on what a stream of odd dates can hold.
const CACHE_LIMIT: usize = 4096;

/// Resolutions and compilations of one policy set. A bulk run resolves and compiles the same
/// few (region, date, programme) triples thousands of times; the set's own `Arc` is the key's
/// first part, so a reload (a new set) never meets an old entry.
#[derive(Default)]
struct Cache {
    set: Option<Arc<PolicySet>>,
    resolved: HashMap<(String, Date), Arc<Resolved>>,
    programs: HashMap<(String, Date, Programme), Arc<Compiled>>,
}

impl Cache {
    /// The cache for `set`, emptied first when it held another set or grew past its bound.
    fn for_set(&mut self, set: &Arc<PolicySet>) -> &mut Cache {
        let same = self.set.as_ref().is_some_and(|s| Arc::ptr_eq(s, set));
        if !same || self.resolved.len() + self.programs.len() > CACHE_LIMIT {
            *self = Cache { set: Some(set.clone()), ..Cache::default() };
        }
        self
    }
}

/// The policy in force, with its source.
pub struct Policies {
    dir: Option<PathBuf>,
    loaded: RwLock<Loaded>,
    cache: Mutex<Cache>,
    /// Where reloads are audited, once the app has a store.
    audit: RwLock<Option<AuditSink>>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies").field("dir", &self.dir).finish()
    }
}

fn stamp(dir: &Path) -> AppResult<Stamp> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| AppError::Invalid(format!("无法读取政策目录 {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let meta = entry.metadata().ok();
        out.push((name, meta.as_ref().and_then(|m| m.modified().ok()), meta.map(|m| m.len()).unwrap_or(0)));
    }
    out.sort();
    Ok(out)
}

/// The directory's documents, and each file's SM3 (`name sm3=…`) for the audit row.
fn load_dir(dir: &Path, stamp: &Stamp) -> (AppResult<PolicySet>, Vec<String>) {
    let mut set = PolicySet::new();
    let mut digests = Vec::new();
    for (name, _, _) in stamp {
        let path = dir.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => return (Err(AppError::Invalid(format!("无法读取政策文件 {}: {e}", path.display()))), digests),
        };
        digests.push(format!("{name} sm3={}", hedui_crypto::encode_hex(&hedui_crypto::sm3(text.as_bytes()))));
        if let Err(e) = set.add_json(name, &text) {
            return (Err(AppError::Policy(e.to_string())), digests);
        }
    }
    if set.docs().next().is_none() {
        return (Err(AppError::Policy(format!("政策目录 {} 中没有政策文件（*.json）", dir.display()))), digests);
    }
    (Ok(set), digests)
}

impl Policies {
    /// The embedded demo policy (江苏省, 常州市, 武进区).
    pub fn embedded() -> AppResult<Policies> {
        let mut set = PolicySet::new();
        for (name, text) in EMBEDDED {
            set.add_json(name, text).map_err(|e| AppError::Policy(e.to_string()))?;
        }
        Ok(Policies {
            dir: None,
            loaded: RwLock::new(Loaded { set: Arc::new(set), stamp: vec![], error: None }),
            cache: Mutex::new(Cache::default()),
            audit: RwLock::new(None),
        })
    }

    /// The documents in `dir`; refused at start if any is invalid.
    pub fn from_dir(dir: &Path) -> AppResult<Policies> {
        let st = stamp(dir)?;
        let set = load_dir(dir, &st).0?;
        Ok(Policies {
            dir: Some(dir.to_path_buf()),
            loaded: RwLock::new(Loaded { set: Arc::new(set), stamp: st, error: None }),
            cache: Mutex::new(Cache::default()),
            audit: RwLock::new(None),
        })
    }

    /// `from_dir` when a directory is given, else the embedded policy.
    pub fn open(dir: Option<&Path>) -> AppResult<Policies> {
        match dir {
            Some(d) => Policies::from_dir(d),
            None => Policies::embedded(),
        }
    }

    /// From now on every reload, applied or refused, writes an audit row to `store`.
    pub fn audit_to(&self, store: Arc<dyn hedui_store::Store>, clock: Arc<dyn crate::Clock>) {
        if let Ok(mut a) = self.audit.write() {
            *a = Some((store, clock));
        }
    }

    fn audit_reload(&self, outcome: hedui_store::AuditOutcome, detail: String) {
        let Ok(a) = self.audit.read() else { return };
        let Some((store, clock)) = a.as_ref() else { return };
        let entry = hedui_store::AuditEntry {
            at: hedui_core::Timestamp::from_unix(clock.unix_seconds()),
            actor: "system".into(),
            action: "policy.reload".into(),
            object: "policy".into(),
            outcome,
            detail,
            request_id: "policy-reload".into(),
            client: String::new(),
            basis: String::new(),
            ..Default::default()
        };
        if let Err(e) = store.audit(&entry) {
            tracing::error!(error = %e, "政策文件重新加载的审计记录写入失败");
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The current set, reloaded first if a file changed.
    pub fn current(&self) -> Arc<PolicySet> {
        if let Some(dir) = &self.dir {
            let now = stamp(dir).ok();
            let changed = match (self.loaded.read(), &now) {
                (Ok(l), Some(now)) => &l.stamp != now,
                _ => false,
            };
            if let (true, Some(now)) = (changed, now) {
                let (result, digests) = load_dir(dir, &now);
                let mut event = None;
                if let Ok(mut l) = self.loaded.write() {
                    match result {
                        Ok(set) => {
                            tracing::info!(dir = %dir.display(), "政策文件已更新，新政策生效");
                            l.set = Arc::new(set);
                            l.error = None;
                            event =
                                Some((hedui_store::AuditOutcome::Ok, format!("新政策生效：{}", digests.join("，"))));
                        }
                        Err(e) => {
                            tracing::warn!(dir = %dir.display(), error = %e, "政策文件有误，继续使用原政策");
                            event = Some((
                                hedui_store::AuditOutcome::Error,
                                format!("拒绝新政策，继续使用原政策：{e}；文件：{}", digests.join("，")),
                            ));
                            l.error = Some(e.to_string());
                        }
                    }
                    l.stamp = now;
                }
                if let Some((outcome, detail)) = event {
                    self.audit_reload(outcome, detail);
                }
            }
        }
        match self.loaded.read() {
            Ok(l) => l.set.clone(),
            Err(p) => p.into_inner().set.clone(),
        }
    }

    /// Why the last change on disk was refused, if it was.
    pub fn reload_error(&self) -> Option<String> {
        self.loaded.read().ok().and_then(|l| l.error.clone())
    }

    /// The policy of `region` on `as_of`.
    pub fn resolve(&self, region: &str, as_of: Date) -> AppResult<Arc<Resolved>> {
        let set = self.current();
        let key = (region.to_string(), as_of);
        if let Some(r) = self.cache.lock().ok().and_then(|mut c| c.for_set(&set).resolved.get(&key).cloned()) {
            return Ok(r);
        }
        let r = Arc::new(set.resolve(region, as_of).map_err(|e| AppError::Policy(e.to_string()))?);
        if let Ok(mut c) = self.cache.lock() {
            c.for_set(&set).resolved.insert(key, r.clone());
        }
        Ok(r)
    }

    /// A programme compiled for `region` on `as_of`; compiled once per policy set.
    pub fn program(&self, region: &str, as_of: Date, programme: Programme) -> AppResult<Arc<Compiled>> {
        let set = self.current();
        let key = (region.to_string(), as_of, programme);
        if let Some(p) = self.cache.lock().ok().and_then(|mut c| c.for_set(&set).programs.get(&key).cloned()) {
            return Ok(p);
        }
        let resolved = set.resolve(region, as_of).map_err(|e| AppError::Policy(e.to_string()))?;
        let program = compile(&resolved, programme).map_err(|e| AppError::Policy(e.to_string()))?;
        let compiled = Arc::new(Compiled { program, resolved });
        if let Ok(mut c) = self.cache.lock() {
            c.for_set(&set).programs.insert(key, compiled.clone());
        }
        Ok(compiled)
    }
}
