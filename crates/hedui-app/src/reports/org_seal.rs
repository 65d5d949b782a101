//! The organization's seal as a deployment installs it (`reports.seal_picture`,
//! `reports.seal_certificate`): the picture its seal authority issued, and the X.509 certificate
//! that a CA issued for the node's signing key. Without them a seal carries a drawn picture and
//! the bare public key ([`super::eseal`]).
//!
//! The files' bytes come in and are checked here: a picture is PNG, JPEG or GIF by its own
//! bytes and at most [`MAX_PICTURE`]; a certificate (PEM or DER) must be X.509 and carry the
//! node's own SM2 public key, so that the seal's signatures verify with the certificate's key.
//! The chain up to the CA is for whoever checks the seal against their CA; hedui does not
//! carry one.

use base64::Engine;

use super::eseal::{items, read};

/// The largest seal picture a deployment may install.
pub const MAX_PICTURE: usize = 512 * 1024;

/// A seal's picture: its type as GB/T 38540 names it (`png`, `jpg`, `gif`) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealPicture {
    pub kind: &'static str,
    pub bytes: Vec<u8>,
}

impl SealPicture {
    /// A picture file's bytes, checked.
    pub fn parse(bytes: Vec<u8>) -> Result<SealPicture, String> {
        let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "jpg"
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            "gif"
        } else {
            return Err("印章图片须为 PNG、JPEG 或 GIF 格式（按文件内容判断）".into());
        };
        if bytes.len() > MAX_PICTURE {
            return Err(format!("印章图片 {} KB，超过 {} KB 的上限", bytes.len() / 1024, MAX_PICTURE / 1024));
        }
        Ok(SealPicture { kind, bytes })
    }

    /// The picture as a `data:` address, for a page (the CSP allows `img-src data:`).
    pub fn data_uri(&self) -> String {
        let mime = match self.kind {
            "png" => "image/png",
            "jpg" => "image/jpeg",
            _ => "image/gif",
        };
        format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(&self.bytes))
    }
}

/// What a deployment installed for its seal; both parts are optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgSeal {
    pub picture: Option<SealPicture>,
    /// The certificate of the node's signing key, DER.
    pub certificate: Option<Vec<u8>>,
}

impl OrgSeal {
    /// The installed files' bytes, checked; `node_key` is the node's SM2 public key (SEC1).
    pub fn new(picture: Option<Vec<u8>>, certificate: Option<Vec<u8>>, node_key: &[u8]) -> Result<OrgSeal, String> {
        let picture = picture.map(SealPicture::parse).transpose()?;
        let certificate = match certificate {
            None => None,
            Some(bytes) => {
                let der = certificate_der(&bytes)?;
                let key = certificate_key(&der)?;
                if key != node_key {
                    return Err(format!(
                        "印章证书中的公钥不是本节点的签名公钥（节点公钥 {}…）：请为节点的签名密钥申请证书",
                        hedui_crypto::encode_hex(&node_key[..node_key.len().min(8)])
                    ));
                }
                Some(der)
            }
        };
        Ok(OrgSeal { picture, certificate })
    }
}

/// A certificate file as DER: PEM (`-----BEGIN CERTIFICATE-----`) decoded, DER as it is.
pub fn certificate_der(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let Ok(text) = std::str::from_utf8(bytes) else { return Ok(bytes.to_vec()) };
    let Some(start) = text.find("-----BEGIN CERTIFICATE-----") else { return Ok(bytes.to_vec()) };
    let body = &text[start + "-----BEGIN CERTIFICATE-----".len()..];
    let end = body.find("-----END CERTIFICATE-----").ok_or("印章证书的 PEM 没有结束行")?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| format!("印章证书的 PEM 无法解码：{e}"))
}

/// The subject public key of an X.509 certificate (DER): the bytes of its
/// `subjectPublicKeyInfo`'s BIT STRING (for SM2, SEC1 uncompressed).
pub fn certificate_key(der: &[u8]) -> Result<Vec<u8>, String> {
    let bad = |what: &str| format!("印章证书不是有效的 X.509 证书：{what}");
    let (tag, cert, rest) = read(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return Err(bad("Certificate"));
    }
    let fields = items(cert)?;
    let Some((0x30, tbs, _)) = fields.first().copied() else { return Err(bad("tbsCertificate")) };
    let tbs = items(tbs)?;
    // version [0] (optional), serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
    let skip = usize::from(tbs.first().is_some_and(|(t, _, _)| *t == 0xA0));
    let Some((0x30, spki, _)) = tbs.get(skip + 5).copied() else { return Err(bad("subjectPublicKeyInfo")) };
    let [(0x30, _, _), (0x03, key, _)] = items(spki)?[..] else { return Err(bad("subjectPublicKeyInfo 字段")) };
    match key.split_first() {
        Some((0, key)) if !key.is_empty() => Ok(key.to_vec()),
        _ => Err(bad("subjectPublicKey")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::reports::eseal::{seq, tlv};

    /// A certificate's structure around `key` (its signature is not checked here).
    pub(crate) fn certificate(key: &[u8], with_version: bool) -> Vec<u8> {
        let alg = seq(&[tlv(0x06, &[0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75])]);
        let name = seq(&[tlv(0x31, &seq(&[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0C, "核对中心".as_bytes())]))]);
        let validity = seq(&[tlv(0x17, b"261201000000Z"), tlv(0x17, b"361201000000Z")]);
        let spki = seq(&[alg.clone(), tlv(0x03, &[&[0u8][..], key].concat())]);
        let mut tbs = Vec::new();
        if with_version {
            tbs.push(tlv(0xA0, &tlv(0x02, &[2])));
        }
        tbs.extend([tlv(0x02, &[7]), alg.clone(), name.clone(), validity, name, spki]);
        seq(&[seq(&tbs), alg, tlv(0x03, &[0, 1, 2, 3])])
    }

    #[test]
    fn a_certificates_key_is_read_from_der_and_pem() {
        let key = [4u8, 1, 2, 3];
        for v in [true, false] {
            assert_eq!(certificate_key(&certificate(&key, v)).unwrap(), key);
        }
        let der = certificate(&key, true);
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        assert_eq!(certificate_der(pem.as_bytes()).unwrap(), der);
        assert_eq!(certificate_der(&der).unwrap(), der);
        assert!(certificate_key(&der[..der.len() - 1]).is_err(), "a truncated certificate");
        assert!(certificate_key(&seq(&[seq(&[tlv(0x02, &[1])])])).unwrap_err().contains("X.509"));
    }

    #[test]
    fn an_installed_seal_is_checked_against_the_nodes_key() {
        let key = [4u8, 9, 9];
        let png = [&b"\x89PNG\r\n\x1a\n"[..], &[0; 16]].concat();
        let seal = OrgSeal::new(Some(png.clone()), Some(certificate(&key, true)), &key).unwrap();
        assert_eq!(seal.picture.as_ref().map(|p| p.kind), Some("png"));
        assert!(seal.picture.unwrap().data_uri().starts_with("data:image/png;base64,iVBORw0KGgo"));
        let other = OrgSeal::new(None, Some(certificate(&[4, 8, 8], true)), &key).unwrap_err();
        assert!(other.contains("不是本节点的签名公钥"), "{other}");
        let text = OrgSeal::new(Some(b"<svg/>".to_vec()), None, &key).unwrap_err();
        assert!(text.contains("PNG、JPEG 或 GIF"), "{text}");
        let big = [&png[..], &vec![0; MAX_PICTURE]].concat();
        assert!(OrgSeal::new(Some(big), None, &key).unwrap_err().contains("上限"));
        assert_eq!(SealPicture::parse(vec![0xFF, 0xD8, 0xFF, 0xE0]).unwrap().kind, "jpg");
        assert_eq!(SealPicture::parse(b"GIF89a..".to_vec()).unwrap().kind, "gif");
    }
}
