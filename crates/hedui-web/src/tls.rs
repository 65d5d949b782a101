//! TLS in hedui itself (rustls): the certificate chain and key from the configuration's PEM
//! files, each connection served by hyper over the TLS stream with the client's address. Cookies
//! are then `Secure` and every response carries `Strict-Transport-Security`. For 国密 TLCP (GB/T
//! 38636), hedui runs behind a TLCP gateway on plain HTTP bound to loopback (README).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Web;

/// The server's TLS configuration from PEM files; an error names the file and what is wrong.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("证书文件 {} 无法读取：{e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("证书文件 {} 格式有误：{e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("证书文件 {} 中没有证书", cert.display()));
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("私钥文件 {} 无法读取或格式有误：{e}", key.display()))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("证书与私钥不匹配或不受支持：{e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `web` over TLS until the process is stopped. A failed handshake ends that connection
/// only.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    web: Web,
    config: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let app = crate::router(web.secure());
    loop {
        let (tcp, addr) = listener.accept().await?;
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else { return };
            let app = app.layer(axum::Extension(ConnectInfo::<SocketAddr>(addr)));
            let service = TowerToHyperService::new(app);
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!("TLS connection from {addr}: {e}");
            }
        });
    }
}
