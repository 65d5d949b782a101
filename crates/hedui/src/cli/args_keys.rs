//! The `hedui key` commands' arguments.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub(crate) enum KeyCmd {
    /// Print `shares` shares of the master key (`--key`), any `threshold` of which give it back;
    /// give each to a different custodian.
    Split {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long)]
        shares: u8,
        #[arg(long)]
        threshold: u8,
    },
    /// Read shares from standard input (one a line) and write the master key they give to
    /// `--out` (which must not exist), after checking it against the fingerprint they carry.
    Join {
        #[arg(long)]
        out: PathBuf,
    },
    /// Rotate the master key: add a new epoch to the key file, re-seal every stored value and
    /// re-derive every blind index under it (resumable: run it again after an interruption),
    /// then retire the old key and remove it from the key file. Reads go on meanwhile; restart
    /// running nodes when it says so. On PostgreSQL audit text is re-sealed under the purge role
    /// (`database.purge_url`).
    Rotate {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// Pause this many milliseconds after each chunk of rows, to leave the database to the
        /// running nodes.
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
    /// Open every sealed value in the database with the key given, and count them by key epoch;
    /// exits 1 when any does not open.
    Check {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Make a new signing key for reports and checkpoints; the old one is retired (it still
    /// verifies what it signed). A running node takes it at its next start.
    Roll {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Revoke a signing key that was exposed: it verifies nothing any more, and what it signed
    /// in the store is checked and signed again by the active key. Restart the node afterwards.
    Revoke {
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        /// The public key to revoke (hex, as `hedui report key` lists it).
        #[arg(long)]
        public_key: String,
        #[arg(long)]
        reason: String,
    },
}

/// A software UKey, for the demo and for trying review on a test node (a real 审核员 signs with
/// the UKey their organization issued; hedui keeps only its public key).
#[derive(Subcommand, Debug)]
pub(crate) enum UkeyCmd {
    /// Make a key file `--out` (which must not exist) and print its public key, which the
    /// 安全管理员 enrols for the user.
    New {
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign standard input (a login challenge, a report's approval statement) with the key file
    /// `--key`, and print the signature (hex) to paste into the page.
    Sign {
        #[arg(long)]
        key: PathBuf,
    },
}
