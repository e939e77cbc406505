//! Shared by the SMTP tests: the real Postfix + Dovecot stack (`tests/mailstack`),
//! delivered-mail lookup in its Maildirs, a token source that counts requests,
//! and a TCP relay that can cut connections like a server closing them.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use oauthmail::{AccessToken, Result, SmtpConfig, TokenCredential};

#[path = "../mailstack_stack/mod.rs"]
mod mailstack_stack;
pub use mailstack_stack::Stack;

/// The running stack, or `None` (after printing why) when the test should be skipped.
pub fn stack() -> Option<Stack> {
    mailstack_stack::stack_listening_on("SUBMISSION")
}

impl Stack {
    /// SMTP settings for `user` on the submission (STARTTLS) port.
    pub fn smtp_config(&self, user: &str) -> SmtpConfig {
        let mut c = SmtpConfig::new(self.host(), self.port("SUBMISSION"), self.user(user));
        c.ca = self.ca();
        c.timeout = Duration::from_secs(30);
        c
    }

    /// A bearer token Dovecot accepts for `user` (extra flags: `--expired`, `--ttl N`, ...).
    pub fn mint(&self, user: &str, extra: &[&str]) -> String {
        let out = Command::new(self.var("MAILSTACK_MINT_TOKEN"))
            .arg(self.user(user))
            .args(extra)
            .env("MAILSTACK_DIR", self.var("MAILSTACK_DIR"))
            .output()
            .expect("mint-token runs");
        assert!(out.status.success(), "mint-token failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned()
    }

    /// Every delivered file of `user` (any folder), as (path, bytes).
    pub fn delivered(&self, user: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let root = Path::new(self.var("MAILSTACK_MAIL_DIR")).join(self.user(user));
        collect_maildir_files(&root, &mut out);
        out
    }

    /// The delivered messages of `user` containing `needle` (e.g. a Message-ID),
    /// waiting until there are `count` of them (delivery through LMTP is asynchronous).
    pub fn wait_for(&self, user: &str, needle: &str, count: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found: Vec<Vec<u8>> =
                self.delivered(user).into_iter().map(|(_, b)| b).filter(|b| contains(b, needle.as_bytes())).collect();
            if found.len() >= count || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The size of Postfix's log now, to read only what is logged later.
    pub fn postfix_log_len(&self) -> usize {
        std::fs::metadata(self.var("MAILSTACK_POSTFIX_LOG")).map_or(0, |m| m.len() as usize)
    }

    /// Waits for a Postfix log line written after `since` that contains every
    /// one of `needles`, e.g. the per-connection `disconnect from ... mail=100` summary.
    pub fn wait_for_log(&self, since: usize, needles: &[&str]) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = std::fs::read(self.var("MAILSTACK_POSTFIX_LOG")).unwrap_or_default();
            let tail = String::from_utf8_lossy(log.get(since..).unwrap_or_default()).into_owned();
            if let Some(line) = tail.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
                return Some(line.to_owned());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn collect_maildir_files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            collect_maildir_files(&path, out);
        } else if path.parent().and_then(|p| p.file_name()).is_some_and(|n| n == "new" || n == "cur")
            && let Ok(bytes) = std::fs::read(&path)
        {
            out.push((path, bytes));
        }
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Tokens minted by the stack's `mint-token`, cached like a real credential:
/// `get_token` returns the cached token until `expire_cache` is called or
/// `get_fresh_token` replaces it. Counts both kinds of requests.
#[derive(Debug)]
pub struct CountingCredential {
    mint_token: String,
    stack_dir: String,
    user: String,
    cached: Mutex<Option<AccessToken>>,
    /// The next minted token expires after this many seconds (0: the default hour).
    next_ttl: AtomicUsize,
    pub token_requests: AtomicUsize,
    pub fresh_requests: AtomicUsize,
    pub minted: AtomicUsize,
}

impl CountingCredential {
    pub fn new(stack: &Stack, user: &str) -> Arc<CountingCredential> {
        Arc::new(CountingCredential {
            mint_token: stack.var("MAILSTACK_MINT_TOKEN").to_owned(),
            stack_dir: stack.var("MAILSTACK_DIR").to_owned(),
            user: stack.user(user),
            cached: Mutex::new(None),
            next_ttl: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
            fresh_requests: AtomicUsize::new(0),
            minted: AtomicUsize::new(0),
        })
    }

    /// The next token's JWT expires after `secs`, while the credential still
    /// believes it valid for an hour (a clock-skewed or early-expired token).
    pub fn next_token_lifetime(&self, secs: usize) {
        self.next_ttl.store(secs, Ordering::SeqCst);
    }

    fn mint(&self) -> AccessToken {
        let ttl = self.next_ttl.swap(0, Ordering::SeqCst);
        let ttl = if ttl == 0 { 3600 } else { ttl };
        let out = Command::new(&self.mint_token)
            .arg(&self.user)
            .args(["--ttl", &ttl.to_string()])
            .env("MAILSTACK_DIR", &self.stack_dir)
            .output()
            .expect("mint-token runs");
        self.minted.fetch_add(1, Ordering::SeqCst);
        let token = String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned();
        AccessToken::new(token, SystemTime::now() + Duration::from_secs(3600))
    }
}

impl TokenCredential for CountingCredential {
    fn get_token(&self, _scopes: &[&str]) -> Result<AccessToken> {
        self.token_requests.fetch_add(1, Ordering::SeqCst);
        let mut cached = self.cached.lock().unwrap();
        Ok(cached.get_or_insert_with(|| self.mint()).clone())
    }
    fn get_fresh_token(&self, _scopes: &[&str]) -> Result<AccessToken> {
        self.fresh_requests.fetch_add(1, Ordering::SeqCst);
        let token = self.mint();
        *self.cached.lock().unwrap() = Some(token.clone());
        Ok(token)
    }
    fn default_scopes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A loopback TCP relay in front of a server; `cut()` closes every relayed
/// connection, as a server does when it drops idle or expired sessions.
pub struct Relay {
    pub port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    pub accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let port = listener.local_addr().unwrap().port();
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, a, s) = (live.clone(), accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(target) else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                l.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(server, client);
            }
        });
        Relay { port, live, accepted, stop }
    }

    pub fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// Deterministic pseudo-random bytes (xorshift), so a corrupted attachment cannot pass by chance.
pub fn pseudo_random(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
