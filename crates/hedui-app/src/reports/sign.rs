//! SM2-signed report files (PDF, HTML, JSON) and their verification.
//!
//! A report file is its content followed by a signature block: a comment at the end of a PDF or
//! HTML file, a `signature` member beside the report in a JSON file. The block names the
//! report, its version and format, the SM3 digest of the content, the signer's public key and
//! the SM2 signature (SM3, user id `1234567812345678`, DER) over the content followed by those
//! fields, so neither the content nor the fields can change unnoticed. `hedui report verify`
//! checks a file offline; with `--public-key` it also checks who signed it.
//!
//! The signing key is generated at random at the node's first start and kept sealed under the
//! master key (`admin::node_keys`): it can be rolled and revoked, and the master key rotated,
//! without changing who signed. Earlier releases derived it from the master key; that key still
//! verifies what they signed.

use serde::{Deserialize, Serialize};

use hedui_core::Timestamp;
use hedui_core::catalog::{GmProfile, NodeKeys};
use hedui_crypto::{KeyProvider, decode_hex, encode_hex, sm3};
use hedui_exchange::gm::{self, NodeSecret};

/// The file formats a report is issued in.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Pdf,
    Html,
    Json,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Json => "json",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// The signature block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signature {
    pub alg: String,
    pub signer: String,
    /// The signer's SM2 public key (uncompressed SEC1, hex).
    pub public_key: String,
    pub report: String,
    pub version: i64,
    pub format: Format,
    /// SM3 of the content (hex).
    pub sm3: String,
    /// What the report's stored signatures say: the signed body's digest, job, household and
    /// outcome, signed when the report was completed and again when it was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<crate::reports::issue::Seal>,
    /// SM2 signature (DER, hex).
    pub signature: String,
}

const ALG: &str = "SM2-with-SM3";
const PDF_MARK: &[u8] = b"\n%HEDUI-SM2 ";
const HTML_MARK: &[u8] = b"\n<!-- HEDUI-SM2 ";

/// What is signed: the content, then the fields, one a line, then the stored seal.
fn signing_input(content: &[u8], s: &Signature) -> Vec<u8> {
    let mut m = content.to_vec();
    let seal = s.seal.as_ref().and_then(|x| serde_json::to_string(x).ok()).unwrap_or_default();
    m.extend_from_slice(
        format!(
            "\nhedui-report-signature\nalg={}\nsigner={}\npublic_key={}\nreport={}\nversion={}\nformat={}\nsm3={}\n",
            s.alg,
            s.signer,
            s.public_key,
            s.report,
            s.version,
            s.format.code(),
            s.sm3
        )
        .as_bytes(),
    );
    if !seal.is_empty() {
        m.extend_from_slice(format!("seal={seal}\n").as_bytes());
    }
    m
}

/// Why a report file does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("文件中没有核对报告签名（不是 hedui 出具的报告文件，或签名已被删除）")]
    Missing,
    #[error("签名块格式错误：{0}")]
    Malformed(String),
    #[error("报告内容与签名中的摘要不一致：文件在签名后被修改过")]
    Digest,
    #[error("SM2 签名验证失败：{0}")]
    Signature(String),
    #[error("签名人公钥与指定的公钥不一致：报告不是由该节点签发的")]
    WrongSigner,
    #[error("报告的签发签名无效：{0}")]
    Seal(String),
}

/// Signs report files, report seals and audit checkpoints with the node's active key, and checks
/// signatures against every key the node accepts (the active one, retired ones, and the key earlier
/// releases derived from the master key); a revoked key verifies nothing.
pub struct ReportSigner {
    secret: NodeSecret,
    /// The active public key.
    public: NodeKeys,
    signer: String,
    /// Other public keys (SEC1, hex) whose signatures still hold, newest first.
    accepted: Vec<String>,
    /// Revoked public keys.
    revoked: Vec<String>,
    /// Statements and signatures already found to verify (the SM3 of the pair): a report read
    /// again checks its two signatures without two SM2 verifications. A changed statement or
    /// signature is another pair, verified afresh; the signer is rebuilt when a key is revoked.
    verified: std::sync::Mutex<std::collections::HashSet<[u8; 32]>>,
}

/// The most pairs [`ReportSigner`] remembers before it starts over.
const VERIFIED_KEPT: usize = 200_000;

impl std::fmt::Debug for ReportSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportSigner").field("signer", &self.signer).finish_non_exhaustive()
    }
}

impl ReportSigner {
    /// The key earlier releases derived from the master key (it verifies what they signed; the
    /// xtask benchmarks sign with it).
    pub fn derive(keys: &dyn KeyProvider, node: &str) -> ReportSigner {
        let signer = format!("{node}#report");
        let secret = NodeSecret::derive(&keys.stable_index(b"report-signing", node.as_bytes()), &signer);
        ReportSigner {
            public: secret.public(),
            secret,
            signer,
            accepted: Vec::new(),
            revoked: Vec::new(),
            verified: Default::default(),
        }
    }

    /// A signer whose active key comes from `seed` (a generated key), also accepting `accepted`
    /// and refusing `revoked`.
    pub fn from_seed(seed: &[u8], node: &str, accepted: Vec<String>, revoked: Vec<String>) -> ReportSigner {
        let signer = format!("{node}#report");
        let secret = NodeSecret::derive(seed, &signer);
        let public = secret.public();
        let accepted = accepted.into_iter().filter(|k| *k != public.sign && !revoked.contains(k)).collect();
        ReportSigner { public, secret, signer, accepted, revoked, verified: Default::default() }
    }

    /// Whether signatures by `public_key` hold here (the active key, or one still accepted).
    pub fn accepts(&self, public_key: &str) -> bool {
        public_key == self.public.sign || self.accepted.iter().any(|k| k == public_key)
    }

    /// Whether `public_key` was revoked.
    pub fn is_revoked(&self, public_key: &str) -> bool {
        self.revoked.iter().any(|k| k == public_key)
    }

    /// Whether `sig_hex` is `public_key`'s signature over `statement`.
    pub fn verify_by(public_key: &str, statement: &[u8], sig_hex: &str) -> bool {
        let keys = NodeKeys { key_id: String::new(), sign: public_key.into(), encrypt: String::new() };
        decode_hex(sig_hex).is_some_and(|sig| gm::verify(&GmProfile::default(), &keys, statement, &sig).is_ok())
    }

    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// An SM2 signature (DER, hex) over a statement, as stored with a report.
    pub fn sign_statement(&self, statement: &[u8]) -> Result<String, String> {
        self.secret.sign(&GmProfile::default(), statement).map(|s| encode_hex(&s)).map_err(|e| e.to_string())
    }

    /// Whether `sig_hex` is a signature over `statement` by a key this node accepts.
    pub fn verify_statement(&self, statement: &[u8], sig_hex: &str) -> bool {
        let pair = hedui_crypto::sm3(&[statement, b"\0", sig_hex.as_bytes()].concat());
        if self.verified.lock().is_ok_and(|v| v.contains(&pair)) {
            return true;
        }
        let Some(sig) = decode_hex(sig_hex) else { return false };
        let ok = gm::verify(&GmProfile::default(), &self.public, statement, &sig).is_ok()
            || self.accepted.iter().any(|k| ReportSigner::verify_by(k, statement, sig_hex));
        if ok && let Ok(mut v) = self.verified.lock() {
            if v.len() >= VERIFIED_KEPT {
                v.clear();
            }
            v.insert(pair);
        }
        ok
    }

    /// The other public keys whose signatures hold, and the revoked ones.
    pub fn other_keys(&self) -> (&[String], &[String]) {
        (&self.accepted, &self.revoked)
    }

    /// The public key to publish (only `sign` matters for reports).
    pub fn public(&self) -> NodeKeys {
        self.public.clone()
    }

    /// The organization's electronic seal (GB/T 38540 `SES_Signature`, DER) over `content`, made
    /// at `at`, naming `property` (ASCII) as what it seals, with what the deployment installed
    /// (`installed`). An installed certificate of another key (the node's key rolled since) is
    /// left out, with a warning, and the key carried bare.
    pub fn eseal(
        &self,
        organization: &str,
        installed: &crate::reports::org_seal::OrgSeal,
        property: &str,
        content: &[u8],
        at: Timestamp,
    ) -> Result<Vec<u8>, String> {
        let key = decode_hex(&self.public.sign).ok_or("节点公钥格式错误")?;
        let certificate = installed.certificate.as_deref().filter(|c| {
            let ours = crate::reports::org_seal::certificate_key(c).is_ok_and(|k| k == key);
            if !ours {
                tracing::warn!("印章证书不是现用签名密钥的证书（密钥已轮换？），签章改为携带公钥：请为新密钥申请证书");
            }
            ours
        });
        let parts = crate::reports::eseal::SealParts {
            organization,
            seal_id: &self.public.key_id,
            public_key: &key,
            certificate,
            picture: installed.picture.as_ref(),
            made_at: at,
            property,
        };
        let sign = |m: &[u8]| self.secret.sign(&GmProfile::default(), m).map_err(|e| e.to_string());
        crate::reports::eseal::build(&parts, content, &sign)
    }

    /// The signed file for `content` of report `number` version `version`, carrying the
    /// report's stored `seal` where it has one.
    pub fn sign(
        &self,
        format: Format,
        number: &str,
        version: i64,
        content: &[u8],
        seal: Option<&crate::reports::issue::Seal>,
    ) -> Result<Vec<u8>, String> {
        let mut s = Signature {
            alg: ALG.into(),
            signer: self.signer.clone(),
            public_key: self.public().sign,
            report: number.into(),
            version,
            format,
            sm3: encode_hex(&sm3(content)),
            seal: seal.cloned(),
            signature: String::new(),
        };
        let sig = self.secret.sign(&GmProfile::default(), &signing_input(content, &s)).map_err(|e| e.to_string())?;
        s.signature = encode_hex(&sig);
        let block = serde_json::to_string(&s).map_err(|e| e.to_string())?;
        Ok(match format {
            Format::Pdf => [content, PDF_MARK, block.as_bytes(), b"\n"].concat(),
            Format::Html => [content, HTML_MARK, block.as_bytes(), b" -->\n"].concat(),
            Format::Json => {
                let mut out = b"{\"report\":".to_vec();
                out.extend_from_slice(content);
                out.extend_from_slice(b",\n\"signature\":");
                out.extend_from_slice(block.as_bytes());
                out.extend_from_slice(b"}\n");
                out
            }
        })
    }
}

/// Checks an electronic seal (GB/T 38540, DER) against a signed report file: the digest of the
/// file's report content and both SM2 signatures; with `expected_key` (SEC1, hex), also that the
/// seal carries that key.
pub fn check_eseal(
    file: &[u8],
    der: &[u8],
    expected_key: Option<&str>,
) -> Result<crate::reports::eseal::Checked, String> {
    let (content, _) = split(file).map_err(|e| e.to_string())?;
    let verify = |key: &[u8], m: &[u8], sig: &[u8]| ReportSigner::verify_by(&encode_hex(key), m, &encode_hex(sig));
    let checked = crate::reports::eseal::check(der, content, &verify)?;
    if let Some(k) = expected_key
        && !encode_hex(&checked.public_key).eq_ignore_ascii_case(k.trim())
    {
        return Err("签章的公钥不是给定的机构公钥".into());
    }
    Ok(checked)
}

/// Finds the content and the signature block of a signed file.
fn split(file: &[u8]) -> Result<(&[u8], Signature), VerifyError> {
    let find_last = |mark: &[u8]| file.windows(mark.len()).rposition(|w| w == mark);
    let parse = |b: &[u8]| serde_json::from_slice::<Signature>(b).map_err(|e| VerifyError::Malformed(e.to_string()));
    if let Some(i) = find_last(PDF_MARK) {
        let rest = &file[i + PDF_MARK.len()..];
        let block = rest.strip_suffix(b"\n").unwrap_or(rest);
        return Ok((&file[..i], parse(block)?));
    }
    if let Some(i) = find_last(HTML_MARK) {
        let rest = &file[i + HTML_MARK.len()..];
        let block = rest.strip_suffix(b" -->\n").ok_or_else(|| VerifyError::Malformed("HTML 签名注释不完整".into()))?;
        return Ok((&file[..i], parse(block)?));
    }
    if file.starts_with(b"{\"report\":") {
        // The report member's exact bytes: everything between the prefix and the last signature key.
        let key = b",\n\"signature\":";
        let i = file.windows(key.len()).rposition(|w| w == key).ok_or(VerifyError::Missing)?;
        let rest = &file[i + key.len()..];
        let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
        let block = rest.strip_suffix(b"}").ok_or_else(|| VerifyError::Malformed("JSON 结尾不完整".into()))?;
        return Ok((&file[b"{\"report\":".len()..i], parse(block)?));
    }
    Err(VerifyError::Missing)
}

/// Checks a signed report file; with `expected_key`, also that this key signed it.
pub fn verify(file: &[u8], expected_key: Option<&str>) -> Result<Signature, VerifyError> {
    let (content, s) = split(file)?;
    if s.alg != ALG {
        return Err(VerifyError::Malformed(format!("不支持的算法 {}", s.alg)));
    }
    if encode_hex(&sm3(content)) != s.sm3 {
        return Err(VerifyError::Digest);
    }
    let sig = decode_hex(&s.signature).ok_or_else(|| VerifyError::Malformed("签名不是十六进制".into()))?;
    let keys = NodeKeys { key_id: s.signer.clone(), sign: s.public_key.clone(), encrypt: String::new() };
    gm::verify(&GmProfile::default(), &keys, &signing_input(content, &s), &sig)
        .map_err(|e| VerifyError::Signature(e.to_string()))?;
    if let Some(k) = expected_key
        && !k.trim().eq_ignore_ascii_case(&s.public_key)
    {
        return Err(VerifyError::WrongSigner);
    }
    if let Some(seal) = &s.seal {
        if seal.report != s.report || seal.version != s.version {
            return Err(VerifyError::Seal("签发记录属于另一份报告".into()));
        }
        let check = |statement: String, sig: &str| {
            let sig = decode_hex(sig).ok_or_else(|| VerifyError::Seal("签名不是十六进制".into()))?;
            gm::verify(&GmProfile::default(), &keys, statement.as_bytes(), &sig)
                .map_err(|e| VerifyError::Seal(e.to_string()))
        };
        check(seal.completed_statement(), &seal.completed_sig)?;
        check(crate::reports::issue::issued_statement(seal), &seal.issued_sig)?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> ReportSigner {
        ReportSigner::derive(&hedui_crypto::SoftKeys::from_master(&[9; 32]).unwrap(), "hedui-test")
    }

    #[test]
    fn a_seal_carries_the_installed_certificate_and_picture_and_verifies_with_its_key() {
        use crate::reports::org_seal::{OrgSeal, tests::certificate};
        let s = signer();
        let key = decode_hex(&s.public().sign).unwrap_or_default();
        let png = [&b"\x89PNG\r\n\x1a\n"[..], b"seal-picture"].concat();
        let cert = certificate(&key, true);
        let installed = OrgSeal::new(Some(png), Some(cert.clone()), &key).unwrap();
        let file = s.sign(Format::Json, "HD-1", 1, br#"{"number":"HD-1"}"#, None).unwrap_or_default();
        let (content, _) = split(&file).unwrap();
        let at = Timestamp::parse("2026-12-01T02:00:00Z").unwrap();
        let der = s.eseal("核对中心", &installed, "report.json", content, at).unwrap();
        let has = |part: &[u8]| der.windows(part.len()).any(|w| w == part);
        assert!(has(&cert) && has(b"seal-picture") && !has(b"<svg"), "the certificate and the picture, no drawing");
        let checked = check_eseal(&file, &der, Some(&s.public().sign)).unwrap();
        assert!(checked.certified);
        assert_eq!(checked.public_key, key);
        // A certificate of another key (the node's key rolled since) is left out: the bare key.
        let stale = OrgSeal { certificate: Some(certificate(&[4, 1, 2], true)), ..installed };
        let der = s.eseal("核对中心", &stale, "report.json", content, at).unwrap();
        let checked = check_eseal(&file, &der, Some(&s.public().sign)).unwrap();
        assert!(!checked.certified);
        let bare = s.eseal("核对中心", &OrgSeal::default(), "report.json", content, at).unwrap();
        assert!(bare.windows(4).any(|w| w == b"<svg"), "without an installed picture, the drawn one");
    }

    #[test]
    fn every_format_verifies_and_every_change_is_caught() {
        let s = signer();
        for (format, content) in [
            (Format::Pdf, b"%PDF-1.7\n...\n%%EOF".to_vec()),
            (Format::Html, "<html><p>家庭经济状况核对报告</p></html>".as_bytes().to_vec()),
            (Format::Json, br#"{"number":"HD-1","version":2}"#.to_vec()),
        ] {
            let file = s.sign(format, "HD-1", 2, &content, None).unwrap_or_default();
            let ok = verify(&file, Some(&s.public().sign)).map_err(|e| e.to_string());
            assert_eq!(ok.as_ref().map(|x| (x.report.as_str(), x.version, x.format)), Ok(("HD-1", 2, format)));
            if format == Format::Json {
                let v: serde_json::Value = serde_json::from_slice(&file).unwrap_or_default();
                assert_eq!(v["report"]["number"], "HD-1", "a signed JSON file is still JSON");
            }
            // One changed byte of content.
            let mut bad = file.clone();
            bad[3] ^= 1;
            assert!(verify(&bad, None).is_err());
            // A changed field of the block (the version), with the digest left alone.
            let text = String::from_utf8_lossy(&file).replace("\"version\":2,\"format\"", "\"version\":3,\"format\"");
            assert!(matches!(verify(text.as_bytes(), None), Err(VerifyError::Signature(_))));
            // Another node's key.
            let other = ReportSigner::derive(&hedui_crypto::SoftKeys::from_master(&[8; 32]).unwrap(), "hedui-test");
            assert_eq!(verify(&file, Some(&other.public().sign)), Err(VerifyError::WrongSigner));
            // A block re-signed by someone else over changed content verifies only against their key.
            let forged = other.sign(format, "HD-1", 2, b"forged", None).unwrap_or_default();
            assert!(verify(&forged, None).is_ok());
            assert_eq!(verify(&forged, Some(&s.public().sign)), Err(VerifyError::WrongSigner));
            // No block at all.
            assert_eq!(verify(&content, None), Err(VerifyError::Missing));
        }
    }

    #[test]
    fn a_file_carries_the_stored_seal_and_a_forged_one_is_caught() {
        let s = signer();
        let mut seal = crate::reports::issue::Seal {
            report: "HD-1".into(),
            version: 2,
            job: 7,
            household: "H000007".into(),
            outcome: "exceeds".into(),
            body_sm3: "ab".into(),
            packed_sm3: "cd".into(),
            completed_sig: String::new(),
            issued_sig: String::new(),
            issued_at: "2026-11-28T02:00:00Z".into(),
            signed_in_migration: false,
            approval: None,
        };
        let completed = crate::reports::issue::completed_statement("HD-1", 2, 7, "H000007", "exceeds", "ab", "cd");
        assert!(completed.ends_with("body_sm3=ab\npacked_sm3=cd\n"), "{completed}");
        seal.completed_sig = s.sign_statement(completed.as_bytes()).unwrap_or_default();
        seal.issued_sig =
            s.sign_statement(crate::reports::issue::issued_statement(&seal).as_bytes()).unwrap_or_default();
        let file = s.sign(Format::Html, "HD-1", 2, b"<p>x</p>", Some(&seal)).unwrap_or_default();
        let ok = verify(&file, Some(&s.public().sign)).map(|x| x.seal.map(|z| z.outcome));
        assert_eq!(ok, Ok(Some("exceeds".to_string())));
        // The outcome changed in the seal and the whole file re-signed by the same node's file
        // key: the stored issue signature no longer holds.
        let mut forged = seal.clone();
        forged.outcome = "not_exceeded".into();
        let file = s.sign(Format::Html, "HD-1", 2, b"<p>x</p>", Some(&forged)).unwrap_or_default();
        assert!(matches!(verify(&file, None), Err(VerifyError::Seal(_))));
        // So does a changed digest of the stored body.
        let mut forged = seal.clone();
        forged.packed_sm3 = "ce".into();
        let file = s.sign(Format::Html, "HD-1", 2, b"<p>x</p>", Some(&forged)).unwrap_or_default();
        assert!(matches!(verify(&file, None), Err(VerifyError::Seal(_))));
    }
}
