//! The configuration in layers, through the real binary: a TOML file, the environment (a secret
//! read from its `_FILE`), and the command line; `hedui config show` says where each value came
//! from and never prints a secret; typos are warned about; a setting of the wrong type stops the
//! command; and a command really uses what the layers decided.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::process::{Command, Output};

fn hedui(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hedui"));
    c.args(args);
    // Only what the test sets: the harness's own HEDUI_* variables stay out.
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HEDUI_")) {
        c.env_remove(k);
    }
    c.envs(env.iter().copied()).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn config_show_layers_file_environment_and_command_line() {
    let dir = common::temp_dir("config");
    let file = dir.join("hedui.toml");
    std::fs::write(
        &file,
        "[server]\nport = 9000\nbind = \"0.0.0.0\"\n[exchange]\nconcurrency = 16\nconcurency = 3\n\
         [database]\nurl = \"postgres://file:file-secret@db/hedui\"\n",
    )
    .unwrap();
    let secret = dir.join("db-url");
    std::fs::write(&secret, "postgres://hedui:env-secret@db.internal/hedui\n").unwrap();
    let config = file.to_str().unwrap();
    let o = hedui(
        &["--config", config, "config", "show", "--policy-dir", "/srv/policy"],
        &[("HEDUI_PORT", "9100"), ("HEDUI_DATABASE_URL_FILE", secret.to_str().unwrap()), ("HEDUI_BND", "x")],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("bind = \"0.0.0.0\"  # 配置文件"), "{out}");
    assert!(out.contains("port = 9100  # 环境变量 HEDUI_PORT"), "{out}");
    assert!(out.contains("concurrency = 16  # 配置文件"), "{out}");
    assert!(out.contains("dir = \"/srv/policy\"  # 命令行"), "{out}");
    assert!(
        out.contains("url = \"postgres://hedui:****@db.internal/hedui\"  # 环境变量 HEDUI_DATABASE_URL_FILE"),
        "{out}"
    );
    assert!(out.contains("poll_every_ms = 500  # 默认值"), "{out}");
    assert!(!out.contains("secret") && !err.contains("secret"), "a secret was printed:\n{out}{err}");
    assert!(err.contains("exchange.concurency"), "a misspelt key is warned about: {err}");
    assert!(err.contains("HEDUI_BND"), "an unknown variable is warned about: {err}");

    // HEDUI_CONFIG names the file when --config does not.
    let o = hedui(&["config", "show"], &[("HEDUI_CONFIG", config)]);
    assert!(text(&o).0.contains("port = 9000  # 配置文件"), "{}", text(&o).0);

    let bad = hedui(&["config", "show"], &[("HEDUI_EXCHANGE_CONCURRENCY", "many")]);
    assert!(!bad.status.success());
    assert!(text(&bad).1.contains("exchange.concurrency"), "{}", text(&bad).1);
}

#[test]
fn commands_use_the_database_and_key_the_layers_give() {
    let dir = common::temp_dir("config_init");
    let db = dir.join("from-env.db");
    let key = dir.join("from-file.key");
    let file = dir.join("hedui.toml");
    std::fs::write(&file, format!("[keys]\nmaster_key_file = \"{}\"\n", key.display())).unwrap();
    let o = hedui(
        &["--config", file.to_str().unwrap(), "init"],
        &[("HEDUI_DATABASE_URL", db.to_str().unwrap()), ("HEDUI_LOG", "error")],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(db.exists(), "the database named in the environment was created");
    assert!(key.exists(), "the key file named in the configuration file was written");
    // The command line wins: another database, so init refuses nothing and makes it there.
    let other = dir.join("from-flag.db");
    let other_key = dir.join("flag.key");
    let o = hedui(
        &[
            "--config",
            file.to_str().unwrap(),
            "init",
            "--db",
            other.to_str().unwrap(),
            "--key",
            other_key.to_str().unwrap(),
        ],
        &[("HEDUI_DATABASE_URL", db.to_str().unwrap()), ("HEDUI_LOG", "error")],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(other.exists() && other_key.exists());
}

#[test]
fn a_seal_picture_or_certificate_that_cannot_serve_stops_the_start_and_says_why() {
    let dir = common::temp_dir("config_seal");
    let (db, key) = (dir.join("hedui.db"), dir.join("master.key"));
    let o = hedui(&["init", "--db", db.to_str().unwrap(), "--key", key.to_str().unwrap()], &[("HEDUI_LOG", "error")]);
    assert!(o.status.success(), "{:?}", text(&o));
    let not_a_picture = dir.join("seal.png");
    std::fs::write(&not_a_picture, "<svg/>").unwrap();
    let not_a_certificate = dir.join("seal.cer");
    std::fs::write(&not_a_certificate, [0x30, 0x03, 0x02, 0x01, 0x01]).unwrap();
    let serve = ["serve", "--db", db.to_str().unwrap(), "--key", key.to_str().unwrap()];
    for (setting, value, says) in [
        ("HEDUI_REPORTS_SEAL_PICTURE", not_a_picture.to_str().unwrap(), "PNG、JPEG 或 GIF"),
        ("HEDUI_REPORTS_SEAL_PICTURE", dir.join("missing.png").to_str().unwrap(), "无法读取"),
        ("HEDUI_REPORTS_SEAL_CERTIFICATE", not_a_certificate.to_str().unwrap(), "X.509"),
    ] {
        let o = hedui(&serve, &[(setting, value), ("HEDUI_PORT", "0"), ("HEDUI_LOG", "error")]);
        let (out, err) = text(&o);
        assert!(!o.status.success(), "{setting}={value} started: {out}");
        assert!(err.contains(says) && err.contains("reports.seal_"), "{setting}: {err}");
    }
}
