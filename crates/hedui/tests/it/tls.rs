//! TLS in hedui itself: a certificate from PEM files, pages served over it with `Secure` session
//! cookies and HSTS, a plain-HTTP client refused without harming the server, and bad files named.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// One HTTP/1.1 exchange over TLS, trusting only `ca`: the whole response as text.
async fn exchange(addr: std::net::SocketAddr, ca: &rcgen::Certificate, request: &str) -> String {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let config = tokio_rustls::rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.unwrap_or_default();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn pages_are_served_over_tls_with_secure_cookies() {
    let dir = common::temp_dir("tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
    // Bad files are named, not served.
    let e = hedui_web::tls::server_config(&dir.join("none.pem"), &key_pem).unwrap_err();
    assert!(e.contains("none.pem"), "{e}");
    let e = hedui_web::tls::server_config(&key_pem, &key_pem).unwrap_err();
    assert!(e.contains("key.pem"), "{e}");
    let config = hedui_web::tls::server_config(&cert_pem, &key_pem).unwrap();

    let store = common::stores("tls").remove(0);
    let app = common::app(store, None);
    app.create_user(&Caller::system("t"), &Account::new("clerk", "核对员", Role::Clerk, "", ""), "Tls-pass-2026-x")
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(hedui_web::tls::serve_tls(listener, hedui_web::Web::new(Arc::new(app)), config));
    rt.block_on(async {
        // A plain-HTTP client gets no page, and the server goes on.
        let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
        plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
        let mut buf = Vec::new();
        let _ = plain.read_to_end(&mut buf).await;
        assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));

        let health =
            exchange(addr, &cert.cert, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
        assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
        assert!(health.to_ascii_lowercase().contains("strict-transport-security: max-age="), "{health}");
        let body = "login=clerk&password=Tls-pass-2026-x";
        let login = exchange(
            addr,
            &cert.cert,
            &format!(
                "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        let cookie = login.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).expect("a cookie");
        for part in ["HttpOnly", "SameSite=Strict", "Secure"] {
            assert!(cookie.contains(part), "{cookie}");
        }
    });
}
