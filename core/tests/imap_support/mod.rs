//! Shared by the IMAP and POP3 tests: the real Dovecot + Postfix stack
//! (`tests/mailstack`), its tokens and its seeding script.
#![allow(dead_code)] // each test binary uses a different part

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauthmail::{AccessToken, Result, StaticTokenCredential, TokenCredential};

#[path = "../mailstack_stack/mod.rs"]
mod mailstack_stack;
pub use mailstack_stack::Stack;

/// The running stack, or `None` (after printing why) when the test should be skipped.
pub fn stack() -> Option<Stack> {
    mailstack_stack::stack_listening_on("IMAPS")
}

impl Stack {
    fn script(&self, var: &str, args: &[&str]) -> String {
        let out = Command::new(self.var(var))
            .args(args)
            .env("MAILSTACK_DIR", self.var("MAILSTACK_DIR"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {var}: {e}"));
        assert!(out.status.success(), "{var} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("script output is UTF-8").trim().to_owned()
    }

    /// A bearer token Dovecot accepts for `user` (extra flags: `--expired`, `--ttl N`, ...).
    pub fn mint(&self, user: &str, extra: &[&str]) -> String {
        let mut args = vec![user];
        args.extend_from_slice(extra);
        self.script("MAILSTACK_MINT_TOKEN", &args)
    }

    /// A credential holding one freshly minted token.
    pub fn credential(&self, user: &str) -> Arc<dyn TokenCredential> {
        Arc::new(StaticTokenCredential::new(self.mint(user, &[]), None).unwrap())
    }

    /// Seeds `folder` of `user`; returns seed-mailbox's JSON report.
    pub fn seed(&self, user: &str, folder: &str, count: usize, extra: &[&str]) -> serde_json::Value {
        let n = count.to_string();
        let mut args = vec![user, "-n", &n, "--folder", folder];
        args.extend_from_slice(extra);
        serde_json::from_str(&self.script("MAILSTACK_SEED_MAILBOX", &args)).expect("seed-mailbox prints JSON")
    }

    /// Runs doveadm against the stack's Dovecot.
    pub fn doveadm(&self, args: &[&str]) {
        let conf = format!("{}/etc/dovecot.conf", self.var("MAILSTACK_DIR"));
        let out = Command::new("doveadm").arg("-c").arg(conf).args(args).output().expect("doveadm runs");
        assert!(out.status.success(), "doveadm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A folder name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Mints a token per request, like a real credential would fetch one; the
/// first cached token can be made an expired one to exercise the refresh path.
#[derive(Debug)]
pub struct MintingCredential {
    mint_token: String,
    stack_dir: String,
    user: String,
    first_expired: bool,
    pub issued: AtomicUsize,
    pub fresh_requests: AtomicUsize,
}

impl MintingCredential {
    pub fn new(stack: &Stack, user: &str, first_expired: bool) -> Arc<MintingCredential> {
        Arc::new(MintingCredential {
            mint_token: stack.var("MAILSTACK_MINT_TOKEN").to_owned(),
            stack_dir: stack.var("MAILSTACK_DIR").to_owned(),
            user: user.to_owned(),
            first_expired,
            issued: AtomicUsize::new(0),
            fresh_requests: AtomicUsize::new(0),
        })
    }

    fn mint(&self, expired: bool) -> AccessToken {
        let mut cmd = Command::new(&self.mint_token);
        cmd.arg(&self.user).env("MAILSTACK_DIR", &self.stack_dir);
        if expired {
            cmd.arg("--expired");
        }
        let out = cmd.output().expect("mint-token runs");
        self.issued.fetch_add(1, Ordering::SeqCst);
        let token = String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned();
        // Claim a long life even for the expired one, as a cache would.
        AccessToken::new(token, SystemTime::now() + Duration::from_secs(3600))
    }
}

impl TokenCredential for MintingCredential {
    fn get_token(&self, _scopes: &[&str]) -> Result<AccessToken> {
        let first = self.issued.load(Ordering::SeqCst) == 0;
        Ok(self.mint(first && self.first_expired))
    }
    fn get_fresh_token(&self, _scopes: &[&str]) -> Result<AccessToken> {
        self.fresh_requests.fetch_add(1, Ordering::SeqCst);
        Ok(self.mint(false))
    }
    fn default_scopes(&self) -> Vec<String> {
        Vec::new()
    }
}
