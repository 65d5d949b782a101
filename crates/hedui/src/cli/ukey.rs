//! `hedui ukey`: a software UKey for the demo and test nodes.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use super::args::UkeyCmd;

/// Writes a fresh key to `out` (owner-only) and returns its public key.
pub(crate) fn new_key(out: &Path) -> Result<String> {
    if out.exists() {
        bail!("{} 已存在，不会覆盖", out.display());
    }
    let key = hedui_exchange::gm::soft_ukey().map_err(|e| anyhow!("{e}"))?;
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
    let mut file = f.open(out).with_context(|| format!("创建 {}", out.display()))?;
    writeln!(file, "{}", hedui_crypto::encode_hex(&key))?;
    hedui_exchange::gm::soft_ukey_public(&key).map_err(|e| anyhow!("{e}"))
}

/// Signs `text` with the key in `key`, hex.
pub(crate) fn sign(key: &Path, text: &[u8]) -> Result<String> {
    let hex = std::fs::read_to_string(key).with_context(|| format!("读取 {}", key.display()))?;
    let secret = hedui_crypto::decode_hex(hex.trim()).ok_or_else(|| anyhow!("{} 不是 UKey 密钥文件", key.display()))?;
    let sig = hedui_exchange::gm::soft_ukey_sign(&secret, text).map_err(|e| anyhow!("{e}"))?;
    Ok(hedui_crypto::encode_hex(&sig))
}

pub(crate) fn run(cmd: UkeyCmd) -> Result<()> {
    match cmd {
        UkeyCmd::New { out } => {
            let public = new_key(&out)?;
            println!("已生成 UKey 密钥 {}（仅限演示和测试）。公钥（交安全管理员登记）：", out.display());
            println!("{public}");
        }
        UkeyCmd::Sign { key } => {
            let mut text = Vec::new();
            std::io::stdin().read_to_end(&mut text)?;
            println!("{}", sign(&key, &text)?);
        }
    }
    Ok(())
}
