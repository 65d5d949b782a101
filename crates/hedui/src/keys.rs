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

use hedui_crypto::{KeyProvider, SoftKeys};
use hedui_store::Store;

/// Reads the master key: `HEDUI_MASTER_KEY`, else the file at `path`. Returns the key and where
/// it was found. Never creates a key.
pub fn load(path: &Path) -> Result<(SoftKeys, String)> {
    if let Ok(hex) = std::env::var("HEDUI_MASTER_KEY") {
        let keys = SoftKeys::from_hex(&hex).map_err(|e| anyhow!("HEDUI_MASTER_KEY: {e}"))?;
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
    let keys = SoftKeys::from_hex(&hex).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((keys, format!("主密钥文件 {}", path.display())))
}

/// Writes a new random master key to `path` (mode 0600); refuses if a file is there already.
pub fn create(path: &Path) -> Result<SoftKeys> {
    if path.exists() {
        bail!("{} 已存在：hedui init 不会覆盖已有的主密钥（覆盖会使已加密的数据无法打开）", path.display());
    }
    let hex = zeroize::Zeroizing::new(SoftKeys::generate_master_hex()?);
    write_key(path, &hex)?;
    Ok(SoftKeys::from_hex(&hex)?)
}

/// Cuts the master key into `n` shares, any `k` of which give it back (Shamir over GF(2⁸)), for
/// custodians to keep apart. Returns the shares as lines of text.
pub fn split(path: &Path, k: u8, n: u8) -> Result<Vec<String>> {
    let hex = zeroize::Zeroizing::new(match std::env::var("HEDUI_MASTER_KEY") {
        Ok(h) => h,
        Err(_) => std::fs::read_to_string(path).with_context(|| format!("读取主密钥文件 {}", path.display()))?,
    });
    let master =
        zeroize::Zeroizing::new(hedui_crypto::decode_hex(hex.trim()).ok_or_else(|| anyhow!("主密钥格式错误"))?);
    let fingerprint = SoftKeys::from_hex(&hex)?.fingerprint();
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
    if parsed.first().is_some_and(|s| s.fingerprint != fingerprint) {
        return Err(hedui_crypto::shares::ShareError::Fingerprint.into());
    }
    write_key(path, &hex)?;
    Ok(fingerprint)
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
pub fn open_node(db: &str, key: &Path) -> Result<(Arc<dyn Store>, Arc<SoftKeys>)> {
    let store = crate::open_store(db)?;
    let expected = store.meta(hedui_app::admin::upgrade::KEY_FINGERPRINT).context("读取数据库的密钥指纹")?;
    let (keys, from) = load(key).map_err(|e| match &expected {
        Some(fp) => anyhow!("{e}（数据库 {db} 要求指纹为 {fp} 的主密钥）"),
        None => e,
    })?;
    if let Some(fp) = &expected
        && *fp != keys.fingerprint()
    {
        bail!(
            "主密钥不符：数据库 {db} 要求指纹为 {fp} 的主密钥，而{from}中的主密钥指纹为 {}。\
             请用 --key 或 HEDUI_MASTER_KEY 给出这个数据库的主密钥",
            keys.fingerprint()
        );
    }
    Ok((store, Arc::new(keys)))
}
