//! hedui's exchange protocol with departments and financial institutions.
//!
//! A message is an [`Envelope`], modelled on the DCI standard's: a plain header (message id,
//! timestamp, action, sender, receiver, transaction), the body encrypted with a fresh SM4 key,
//! that key sealed to the receiver's published SM2 key, and the sender's SM2 signature over
//! the header and everything sealed. The receiver checks the signature before it decrypts
//! anything. Bodies are [`SearchRequest`], [`SearchResponse`] and their status queries; see
//! `docs/exchange.md` for the wire format an institution implements.
//!
//! This crate is pure apart from drawing random keys: no I/O, no clock (timestamps are
//! passed in).

pub mod gm;
pub mod message;
pub mod package;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use hedui_core::catalog::{GmProfile, NodeKeys};

pub use gm::NodeSecret;
pub use message::*;

/// Protocol version carried in every header.
pub const VERSION: &str = "hedui-exchange/1";

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("报文格式错误：{0}")]
    Format(String),
    #[error("签名无效：{0}")]
    Signature(String),
    #[error("报文无法解密：{0}")]
    Decrypt(String),
    #[error("密码运算失败：{0}")]
    Crypto(String),
    #[error("报文不是发给本节点的（收件方 {0}）")]
    WrongReceiver(String),
}

/// What a message asks or answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A query about a list of persons.
    Search,
    /// The answer to a search, synchronous or by callback.
    OnSearch,
    /// Asks for the state of an earlier transaction.
    TxnStatus,
    /// The state of a transaction.
    OnTxnStatus,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Search => "search",
            Action::OnSearch => "on-search",
            Action::TxnStatus => "txn-status",
            Action::OnTxnStatus => "on-txn-status",
        }
    }
}

/// The plain part of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub version: String,
    /// Unique per message; a retry sends the same id, so the receiver counts it once.
    pub message_id: String,
    /// RFC 3339, as the sender's clock read it.
    pub message_ts: String,
    pub action: Action,
    pub sender_id: String,
    pub receiver_id: String,
    /// The transaction (one request and its answer) this message belongs to.
    pub transaction_id: String,
}

impl Header {
    /// The exact bytes a signature covers, with the sealed parts: every field on its own line,
    /// so that any implementation can rebuild them without a JSON canonical form.
    fn signing_input(&self, key: &str, iv: &str, message: &str) -> Vec<u8> {
        [
            self.version.as_str(),
            &self.message_id,
            &self.message_ts,
            self.action.code(),
            &self.sender_id,
            &self.receiver_id,
            &self.transaction_id,
            key,
            iv,
            message,
        ]
        .join("\n")
        .into_bytes()
    }

    fn check(&self) -> Result<(), ExchangeError> {
        if self.version != VERSION {
            return Err(ExchangeError::Format(format!("不支持的协议版本 {}", self.version)));
        }
        let fields = [
            ("message_id", &self.message_id),
            ("message_ts", &self.message_ts),
            ("sender_id", &self.sender_id),
            ("receiver_id", &self.receiver_id),
            ("transaction_id", &self.transaction_id),
        ];
        for (name, v) in fields {
            let ok = !v.is_empty()
                && v.len() <= 128
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:+#/@".contains(&b));
            if !ok {
                return Err(ExchangeError::Format(format!("报文头字段 {name} 为空、过长或含有不允许的字符")));
            }
        }
        Ok(())
    }
}

/// A signed, encrypted message as it travels (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub header: Header,
    /// The message key sealed to the receiver (SM2), base64.
    pub key: String,
    /// SM4 IV or nonce, base64.
    pub iv: String,
    /// The encrypted body, base64.
    pub message: String,
    /// The sender's SM2 signature over the header and the three fields above, base64.
    pub signature: String,
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(s: &str, what: &str) -> Result<Vec<u8>, ExchangeError> {
    B64.decode(s).map_err(|_| ExchangeError::Format(format!("{what} 不是有效的 base64")))
}

impl Envelope {
    /// Seals `body` from `sender` to the node whose keys are `receiver`, under `profile`.
    pub fn seal<T: Serialize>(
        header: Header,
        body: &T,
        sender: &NodeSecret,
        receiver: &NodeKeys,
        profile: &GmProfile,
    ) -> Result<Envelope, ExchangeError> {
        header.check()?;
        let plain = serde_json::to_vec(body).map_err(|e| ExchangeError::Format(e.to_string()))?;
        let key = gm::message_key()?;
        let sealed_key = b64(&gm::seal_key(profile, receiver, &key)?);
        let (iv, ct) = gm::encrypt_body(profile.sm4_mode, &key, header.message_id.as_bytes(), &plain)?;
        let (iv, message) = (b64(&iv), b64(&ct));
        let signature = b64(&sender.sign(profile, &header.signing_input(&sealed_key, &iv, &message))?);
        Ok(Envelope { header, key: sealed_key, iv, message, signature })
    }

    /// Checks the sender's signature, then opens the body. Nothing is decrypted before the
    /// signature holds.
    pub fn open<T: DeserializeOwned>(
        &self,
        sender: &NodeKeys,
        receiver: &NodeSecret,
        receiver_id: &str,
        profile: &GmProfile,
    ) -> Result<T, ExchangeError> {
        self.header.check()?;
        if self.signature.is_empty() {
            return Err(ExchangeError::Signature("报文未签名".into()));
        }
        let sig = unb64(&self.signature, "signature")?;
        gm::verify(profile, sender, &self.header.signing_input(&self.key, &self.iv, &self.message), &sig)?;
        if self.header.receiver_id != receiver_id {
            return Err(ExchangeError::WrongReceiver(self.header.receiver_id.clone()));
        }
        let key = receiver.open_key(profile, &unb64(&self.key, "key")?)?;
        let plain = gm::decrypt_body(
            profile.sm4_mode,
            &key,
            self.header.message_id.as_bytes(),
            &unb64(&self.iv, "iv")?,
            &unb64(&self.message, "message")?,
        )?;
        serde_json::from_slice(&plain).map_err(|e| ExchangeError::Format(format!("报文内容无法解析：{e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hedui_core::catalog::{SignatureEncoding, Sm4Mode, known};
    use hedui_core::{Date, Fen};

    fn header(action: Action) -> Header {
        Header {
            version: VERSION.into(),
            message_id: "msg-0001".into(),
            message_ts: "2026-11-28T08:00:00+08:00".into(),
            action,
            sender_id: "hedui-320400".into(),
            receiver_id: "bank_icbc".into(),
            transaction_id: "txn-1".into(),
        }
    }

    fn request() -> SearchRequest {
        SearchRequest {
            query_date: Date::parse("2026-11-27").unwrap(),
            lookback_months: 6,
            categories: vec![known::DEPOSIT, known::MOVEMENT],
            persons: vec![PersonQuery {
                ref_id: "p1".into(),
                id_number: "320402199001011234".into(),
                name: "王·五".into(),
                authorization_no: "SQ-2026-0001".into(),
                commission_no: "WT-2026-0001".into(),
            }],
            callback_url: None,
        }
    }

    #[test]
    fn a_sealed_request_opens_only_for_its_receiver_with_the_senders_key() {
        let hedui = NodeSecret::derive(b"t", "hedui-320400");
        let bank = NodeSecret::derive(b"t", "bank_icbc");
        let other = NodeSecret::derive(b"t", "bank_abc");
        for sm4_mode in [Sm4Mode::Gcm, Sm4Mode::Cbc] {
            let p = GmProfile { sm4_mode, signature: SignatureEncoding::Raw, ..GmProfile::default() };
            let env = Envelope::seal(header(Action::Search), &request(), &hedui, &bank.public(), &p).unwrap();
            assert!(!env.message.contains("320402"), "the body travels encrypted");
            let wire = serde_json::to_string(&env).unwrap();
            let back: Envelope = serde_json::from_str(&wire).unwrap();
            let got: SearchRequest = back.open(&hedui.public(), &bank, "bank_icbc", &p).unwrap();
            assert_eq!(got, request());
            // Signed by someone else: refused before anything is decrypted.
            let forged = Envelope::seal(header(Action::Search), &request(), &other, &bank.public(), &p).unwrap();
            assert!(matches!(
                forged.open::<SearchRequest>(&hedui.public(), &bank, "bank_icbc", &p),
                Err(ExchangeError::Signature(_))
            ));
            // Another receiver cannot open it.
            assert!(env.open::<SearchRequest>(&hedui.public(), &other, "bank_abc", &p).is_err());
            // Any header change breaks the signature.
            let mut moved = env.clone();
            moved.header.transaction_id = "txn-2".into();
            assert!(matches!(
                moved.open::<SearchRequest>(&hedui.public(), &bank, "bank_icbc", &p),
                Err(ExchangeError::Signature(_))
            ));
        }
    }

    #[test]
    fn a_response_round_trips_with_items_of_every_shape() {
        let hedui = NodeSecret::derive(b"t", "hedui-320400");
        let bank = NodeSecret::derive(b"t", "bank_icbc");
        let resp = SearchResponse {
            status: ResponseStatus::Completed,
            results: vec![PersonResult {
                ref_id: "p1".into(),
                status: PersonStatus::Found,
                items: vec![Item {
                    category: known::DEPOSIT,
                    key: "6222020000000001".into(),
                    label: "活期".into(),
                    amount: Fen(1_234_567),
                    quantity: 0,
                    on: Date::parse("2026-11-27").ok(),
                    detail: vec![("币种".into(), "人民币".into())],
                }],
            }],
        };
        let p = GmProfile::default();
        let mut h = header(Action::OnSearch);
        std::mem::swap(&mut h.sender_id, &mut h.receiver_id);
        let env = Envelope::seal(h, &resp, &bank, &hedui.public(), &p).unwrap();
        let got: SearchResponse = env.open(&bank.public(), &hedui, "hedui-320400", &p).unwrap();
        assert_eq!(got, resp);
    }

    #[test]
    fn headers_with_line_breaks_or_odd_characters_are_refused() {
        let hedui = NodeSecret::derive(b"t", "hedui-320400");
        let bank = NodeSecret::derive(b"t", "bank_icbc");
        let mut h = header(Action::Search);
        h.message_id = "a\nb".into();
        let err = Envelope::seal(h, &request(), &hedui, &bank.public(), &GmProfile::default()).unwrap_err();
        assert!(matches!(err, ExchangeError::Format(_)), "{err}");
    }
}
