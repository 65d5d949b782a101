//! The organization's electronic seal on a report, in the structures of GB/T 38540-2020
//! (信息安全技术 安全电子签章密码技术规范): an `SES_Signature` whose `TBS_Sign` carries the
//! `SES_Seal` (the seal's information and picture, signed by the node) and the SM3 digest of the
//! report's JSON file, signed with SM2 (OID 1.2.156.10197.1.501, SM2 with SM3). Where the
//! standard carries the signer's X.509 certificate, this carries the certificate a deployment
//! installed for the node's signing key (`reports.seal_certificate`, [`super::org_seal`]), or
//! without one the node's SM2 public key (SEC1, uncompressed), which the node publishes at
//! `/api/v1/reports/signing-key`; the picture is the installed one (`reports.seal_picture`) or a
//! drawn one. DER is written and read here, field by field.

use hedui_core::Timestamp;

/// SM2 signature with SM3 (GM/T 0006): 1.2.156.10197.1.501.
const SM2_SM3: &[u8] = &[0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75];
const SEQUENCE: u8 = 0x30;

/// A DER element: its tag, its content, and its whole encoding.
type Element<'a> = (u8, &'a [u8], &'a [u8]);
/// Signs a message with the node's key (an SM2 signature, DER).
pub type Sign<'a> = dyn Fn(&[u8]) -> Result<Vec<u8>, String> + 'a;
/// Checks a signature: `(public key, message, signature)`.
pub type Verify<'a> = dyn Fn(&[u8], &[u8], &[u8]) -> bool + 'a;

pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub(crate) fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

fn int(v: u32) -> Vec<u8> {
    let mut b: Vec<u8> = v.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    if b.first().is_none_or(|f| f & 0x80 != 0) {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

fn ia5(s: &str) -> Vec<u8> {
    tlv(0x16, s.as_bytes())
}

fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0C, s.as_bytes())
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn bits(b: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0u8][..], b].concat())
}

fn time(t: Timestamp) -> Vec<u8> {
    // YYYYMMDDHHMMSSZ from the stored form YYYY-MM-DDTHH:MM:SSZ.
    let s: String = t.to_string().chars().filter(char::is_ascii_alphanumeric).filter(|c| *c != 'T').collect();
    tlv(0x18, s.as_bytes())
}

/// One DER element: its tag, its content, and what follows it.
pub(crate) fn read(b: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let bad = || "签章数据不是有效的 DER 编码".to_string();
    let (&tag, rest) = b.split_first().ok_or_else(bad)?;
    let (&first, rest) = rest.split_first().ok_or_else(bad)?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let k = (first & 0x7F) as usize;
        if k == 0 || k > 4 || rest.len() < k {
            return Err(bad());
        }
        (rest[..k].iter().fold(0usize, |n, b| (n << 8) | *b as usize), &rest[k..])
    };
    if rest.len() < len {
        return Err(bad());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The elements of a SEQUENCE's content, each with its tag and its whole encoding.
pub(crate) fn items(mut b: &[u8]) -> Result<Vec<Element<'_>>, String> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let whole = b;
        let (tag, content, rest) = read(b)?;
        out.push((tag, content, &whole[..whole.len() - rest.len()]));
        b = rest;
    }
    Ok(out)
}

/// The seal's picture: a round red seal with the organization's name, as SVG.
pub fn picture(organization: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"160\" viewBox=\"0 0 160 160\">\
         <circle cx=\"80\" cy=\"80\" r=\"74\" fill=\"none\" stroke=\"#c00\" stroke-width=\"5\"/>\
         <text x=\"80\" y=\"92\" font-size=\"40\" text-anchor=\"middle\" fill=\"#c00\">★</text>\
         <text x=\"80\" y=\"130\" font-size=\"13\" text-anchor=\"middle\" fill=\"#c00\">{}</text></svg>",
        organization.replace('&', "&amp;").replace('<', "&lt;")
    )
}

/// What the seal is made of: who, which key, and when.
pub struct SealParts<'a> {
    pub organization: &'a str,
    /// The seal's identifier (the node key's id).
    pub seal_id: &'a str,
    /// The node's SM2 public key, SEC1 uncompressed.
    pub public_key: &'a [u8],
    /// The installed certificate of that key (DER), carried in its place.
    pub certificate: Option<&'a [u8]>,
    /// The installed picture, in place of the drawn one.
    pub picture: Option<&'a super::org_seal::SealPicture>,
    pub made_at: Timestamp,
    /// What was sealed, named in `propertyInfo` (ASCII).
    pub property: &'a str,
}

/// What the seal carries for its signer: the installed certificate, else the bare key.
fn signer(p: &SealParts<'_>) -> Vec<u8> {
    octets(p.certificate.unwrap_or(p.public_key))
}

/// `SES_SealInfo`: header (ES, version 4, vendor), id, property (type 1 official seal, name, the
/// certificate list: the installed certificate or the key, dates) and the picture.
fn seal_info(p: &SealParts<'_>) -> Vec<u8> {
    let header = seq(&[ia5("ES"), int(4), ia5("hedui")]);
    let valid_end = p.made_at.plus_seconds(10 * 365 * 86_400);
    let property = seq(&[
        int(1),
        utf8(&format!("{}电子印章", p.organization)),
        int(1),
        seq(&[signer(p)]),
        time(p.made_at),
        time(p.made_at),
        time(valid_end),
    ]);
    let pic = match p.picture {
        Some(installed) => seq(&[ia5(installed.kind), octets(&installed.bytes), int(40), int(40)]),
        None => seq(&[ia5("svg"), octets(picture(p.organization).as_bytes()), int(40), int(40)]),
    };
    seq(&[header, ia5(p.seal_id), property, pic])
}

/// The whole `SES_Signature` over `content`, signed by `sign` (DER SM2 signatures).
pub fn build(p: &SealParts<'_>, content: &[u8], sign: &Sign<'_>) -> Result<Vec<u8>, String> {
    let info = seal_info(p);
    let seal_sig = sign(&info)?;
    let alg = tlv(0x06, SM2_SM3);
    let seal = seq(&[info, signer(p), alg.clone(), bits(&seal_sig)]);
    let tbs = seq(&[int(4), seal, time(p.made_at), bits(&hedui_crypto::sm3(content)), ia5(p.property)]);
    let sig = sign(&tbs)?;
    Ok(seq(&[tbs, signer(p), alg, bits(&sig)]))
}

/// What a checked seal says.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked {
    pub seal_id: String,
    pub property: String,
    /// The key the signatures verified with: the certificate's, or the one carried bare.
    pub public_key: Vec<u8>,
    /// The seal carries an X.509 certificate (its chain is for the reader to check).
    pub certified: bool,
}

/// Checks a seal over `content`: its structure, the digest of `content`, and both signatures
/// with the key it carries (`verify(key, message, signature)`).
pub fn check(der: &[u8], content: &[u8], verify: &Verify<'_>) -> Result<Checked, String> {
    let bad = |what: &str| format!("签章结构错误：{what}");
    let (tag, body, rest) = read(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return Err(bad("SES_Signature"));
    }
    let [(_, _, tbs), (0x04, cert, _), (0x06, _, _), (0x03, sig, _)] = items(body)?[..] else {
        return Err(bad("SES_Signature 字段"));
    };
    let (_, tbs_body, _) = read(tbs)?;
    let [(0x02, _, _), (SEQUENCE, seal_body, _), (0x18, _, _), (0x03, hash, _), (0x16, property, _)] =
        items(tbs_body)?[..]
    else {
        return Err(bad("TBS_Sign 字段"));
    };
    let [(SEQUENCE, info_body, info), (0x04, seal_cert, _), (0x06, _, _), (0x03, seal_sig, _)] = items(seal_body)?[..]
    else {
        return Err(bad("SES_Seal 字段"));
    };
    let unbit = |b: &[u8]| b.split_first().map(|(_, r)| r.to_vec()).unwrap_or_default();
    if unbit(hash) != hedui_crypto::sm3(content) {
        return Err("签章的数据摘要与报告文件不符：文件已被改动".into());
    }
    // A certificate (a DER SEQUENCE) is read for its key; a bare key (SEC1) is used as it is.
    let certified = cert.first() == Some(&SEQUENCE);
    let key = if certified { super::org_seal::certificate_key(cert)? } else { cert.to_vec() };
    if seal_cert != cert || !verify(&key, info, &unbit(seal_sig)) {
        return Err("印章信息的签名无效".into());
    }
    if !verify(&key, tbs, &unbit(sig)) {
        return Err("签章签名无效".into());
    }
    let seal_id = match items(info_body)?.get(1) {
        Some((0x16, id, _)) => String::from_utf8_lossy(id).into_owned(),
        _ => return Err(bad("印章编号")),
    };
    Ok(Checked { seal_id, property: String::from_utf8_lossy(property).into_owned(), public_key: key, certified })
}
