//! The node's master key: where it is read from, how a deployment creates it, and the check that
//! it is the database's own.
//!
//! A key comes from `HEDUI_MASTER_KEY` (64 hex characters) or from a key file. Nothing but
//! `hedui init` and `hedui demo` ever writes a key: a command pointed at a missing file stops and
//! says where it looked and which key the database expects, instead of sealing new data under a
//! key the database has never seen.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};

use hedui_crypto::ring::{KeyRing, file_keys};
use hedui_crypto::{KeyProvider, SoftKeys};
use hedui_store::Store;

/// Reads the master keys: `HEDUI_MASTER_KEY`, else the file at `path` (one key, or one line per
/// key epoch). Returns them and where they were found. Never creates a key.
pub fn load(path: &Path) -> Result<(KeyRing, String)> {
    if let Ok(hex) = std::env::var("HEDUI_MASTER_KEY") {
        let keys = KeyRing::parse(&hex.replace(';', "\n")).map_err(|e| anyhow!("HEDUI_MASTER_KEY: {e}"))?;
        return Ok((keys, "环境变量 HEDUI_MASTER_KEY".into()));
    }
    if !path.exists() {
        bail!(
            "找不到主密钥：{} 不存在，也未设置 HEDUI_MASTER_KEY。新部署请先运行 hedui init 生成主密钥；\
             已有数据库请用 --key 指向它的密钥文件",
            path.display()
        );
    }
    let hex = std::fs::read_to_string(path).with_context(|| format!("读取主密钥文件 {}", path.display()))?;
    let keys = KeyRing::parse(&hex).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((keys, format!("主密钥文件 {}", path.display())))
}

/// The master keys in a key file, by epoch.
pub fn file_entries(path: &Path) -> Result<Vec<(u8, String)>> {
    if std::env::var("HEDUI_MASTER_KEY").is_ok() {
        bail!("主密钥轮换会把新密钥写入密钥文件：请取消 HEDUI_MASTER_KEY，用 --key 指向密钥文件");
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("读取主密钥文件 {}", path.display()))?,
    );
    file_keys(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Adds a new random master key to a key file as the epoch after its newest, keeping the others.
/// The file is replaced whole (written beside and renamed), so it is never half written.
pub fn add_epoch(path: &Path) -> Result<u8> {
    let mut entries = file_entries(path)?;
    let next =
        entries.iter().map(|(e, _)| *e).max().unwrap_or(0).checked_add(1).ok_or_else(|| anyhow!("纪元已用尽"))?;
    entries.push((next, SoftKeys::generate_master_hex()?));
    replace_file(path, &entries)?;
    Ok(next)
}

/// Rewrites a key file with only the epochs in `keep`.
pub fn keep_epochs(path: &Path, keep: &[u8]) -> Result<()> {
    let entries: Vec<(u8, String)> = file_entries(path)?.into_iter().filter(|(e, _)| keep.contains(e)).collect();
    if entries.is_empty() {
        bail!("不会写出没有主密钥的密钥文件");
    }
    replace_file(path, &entries)
}

fn replace_file(path: &Path, entries: &[(u8, String)]) -> Result<()> {
    let refs: Vec<(u8, &str)> = entries.iter().map(|(e, h)| (*e, h.as_str())).collect();
    let text = zeroize::Zeroizing::new(KeyRing::file_text(&refs));
    let tmp = path.with_extension("rotating");
    let _ = std::fs::remove_file(&tmp);
    write_key(&tmp, &text)?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).with_context(|| format!("写入 {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("替换主密钥文件 {}", path.display()))
}

/// Writes a new random master key to `path` (mode 0600); refuses if a file is there already.
pub fn create(path: &Path) -> Result<KeyRing> {
    if path.exists() {
        bail!("{} 已存在：hedui init 不会覆盖已有的主密钥（覆盖会使已加密的数据无法打开）", path.display());
    }
    let hex = zeroize::Zeroizing::new(SoftKeys::generate_master_hex()?);
    write_key(path, &hex)?;
    Ok(KeyRing::single(SoftKeys::from_hex(&hex)?))
}

/// Cuts the master key into `n` shares, any `k` of which give it back (Shamir over GF(2⁸)), for
/// custodians to keep apart. Returns the shares as lines of text.
/// The shares name the key by its fingerprint, and by its epoch after the first
/// (`<fingerprint>/e<epoch>`), so that joining them gives back the key file line.
pub fn split(path: &Path, k: u8, n: u8) -> Result<Vec<String>> {
    let text = zeroize::Zeroizing::new(match std::env::var("HEDUI_MASTER_KEY") {
        Ok(h) => h.replace(';', "\n"),
        Err(_) => std::fs::read_to_string(path).with_context(|| format!("读取主密钥文件 {}", path.display()))?,
    });
    let entries = zeroize::Zeroizing::new(file_keys(&text).map_err(|e| anyhow!("{e}"))?);
    let [(epoch, hex)] = entries.as_slice() else {
        bail!("密钥文件中有 {} 个纪元的主密钥：主密钥轮换尚未完成，请先运行 hedui key rotate", entries.len());
    };
    let master =
        zeroize::Zeroizing::new(hedui_crypto::decode_hex(hex.trim()).ok_or_else(|| anyhow!("主密钥格式错误"))?);
    let fingerprint = share_name(&SoftKeys::from_hex(hex)?.fingerprint(), *epoch);
    let shares = hedui_crypto::shares::split(&master, k, n, &fingerprint)?;
    Ok(shares.iter().map(hedui_crypto::shares::Share::to_text).collect())
}

/// Puts the master key back together from shares (one a line) and writes it to `path` (which must
/// not exist); refuses shares that do not give back the key they name. Returns its fingerprint.
pub fn join(shares: &str, path: &Path) -> Result<String> {
    if path.exists() {
        bail!("{} 已存在：不会覆盖已有的主密钥", path.display());
    }
    let parsed = shares
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| hedui_crypto::shares::Share::parse(l, i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let master = zeroize::Zeroizing::new(hedui_crypto::shares::combine(&parsed)?);
    let hex = zeroize::Zeroizing::new(hedui_crypto::encode_hex(&master));
    let fingerprint = SoftKeys::from_hex(&hex)?.fingerprint();
    let named = parsed.first().map(|s| s.fingerprint.clone()).unwrap_or_default();
    let epoch = match named.split_once("/e") {
        Some((_, e)) => e.parse::<u8>().map_err(|_| anyhow!("份额中的纪元无效：{named}"))?,
        None => 1,
    };
    if named != share_name(&fingerprint, epoch) {
        return Err(hedui_crypto::shares::ShareError::Fingerprint.into());
    }
    match epoch {
        1 => write_key(path, &hex)?,
        e => write_key(path, &KeyRing::file_text(&[(e, hex.as_str())]))?,
    }
    Ok(fingerprint)
}

fn share_name(fingerprint: &str, epoch: u8) -> String {
    match epoch {
        1 => fingerprint.to_string(),
        e => format!("{fingerprint}/e{e}"),
    }
}

/// Writes a key file (mode 0600), never over an existing one.
fn write_key(path: &Path, hex: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("创建目录 {}", dir.display()))?;
    }
    // create_new: two inits racing cannot both write a key.
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("写入主密钥文件 {}", path.display()))?;
    std::io::Write::write_all(&mut f, hex.as_bytes()).with_context(|| format!("写入 {}", path.display()))
}

/// Opens a database and its master key, refusing a key that is missing or not the database's,
/// with a message naming the key the database expects (by fingerprint) and where it looked.
pub fn open_node(db: &str, key: &Path) -> Result<(Arc<dyn Store>, Arc<KeyRing>)> {
    let store = crate::open_store(db)?;
    let expected = store.meta(hedui_app::admin::upgrade::KEY_FINGERPRINT).context("读取数据库的密钥指纹")?;
    let (keys, from) = load(key).map_err(|e| match &expected {
        Some(fp) => anyhow!("{e}（数据库 {db} 要求指纹为 {fp} 的主密钥）"),
        None => e,
    })?;
    // A key file that also holds the database's key (an older epoch) starts or continues a
    // rotation; the application checks the rest.
    let held = keys.epochs().iter().any(|e| keys.fingerprint_in(*e).as_ref() == expected.as_ref());
    if let Some(fp) = &expected
        && !held
    {
        bail!(
            "主密钥不符：数据库 {db} 要求指纹为 {fp} 的主密钥，而{from}中的主密钥指纹为 {}。\
             请用 --key 或 HEDUI_MASTER_KEY 给出这个数据库的主密钥",
            keys.fingerprint()
        );
    }
    Ok((store, Arc::new(keys)))
}
