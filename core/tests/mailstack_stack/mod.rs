//! The real Dovecot + Postfix stack (`tests/mailstack`), found through
//! `MAILSTACK_*` variables, else through `$MAILSTACK_DIR/mailstack.env` or
//! `$STACK_DIR/mailstack.env` (default `/tmp/oauthmail-mailstack`). Without a
//! running stack the tests are skipped with a message, unless
//! `OAUTHMAIL_REQUIRE_MAILSTACK=1`. Included by the IMAP/POP3 and SMTP test support.

use std::collections::HashMap;
use std::net::TcpStream;
use std::time::Duration;

use oauthmail::tls::TlsTrust;

pub struct Stack {
    env: HashMap<String, String>,
}

/// The running stack, checked by connecting to its `probe` port (`IMAPS`,
/// `SUBMISSION`, ...), or `None` (after printing why) when the test should be skipped.
pub fn stack_listening_on(probe: &str) -> Option<Stack> {
    let required = std::env::var("OAUTHMAIL_REQUIRE_MAILSTACK").is_ok_and(|v| v == "1");
    match Stack::find(probe) {
        Ok(s) => Some(s),
        Err(why) if required => panic!("OAUTHMAIL_REQUIRE_MAILSTACK=1 but the mail stack is not usable: {why}"),
        Err(why) => {
            eprintln!("SKIPPED: no mail stack ({why}); start tests/mailstack/start.sh to run this test");
            None
        }
    }
}

impl Stack {
    fn find(probe: &str) -> std::result::Result<Stack, String> {
        let port_var = format!("MAILSTACK_{probe}_PORT");
        let mut env: HashMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("MAILSTACK_")).collect();
        if !env.contains_key(&port_var) {
            let dir = std::env::var("MAILSTACK_DIR")
                .or_else(|_| std::env::var("STACK_DIR"))
                .unwrap_or_else(|_| "/tmp/oauthmail-mailstack".into());
            let file = format!("{dir}/mailstack.env");
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
            for line in text.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    env.entry(k.to_owned()).or_insert_with(|| v.trim_matches('\'').to_owned());
                }
            }
        }
        let s = Stack { env };
        let addr = format!("{}:{}", s.host(), s.port(probe));
        TcpStream::connect_timeout(&addr.parse().map_err(|e| format!("{addr}: {e}"))?, Duration::from_secs(2))
            .map_err(|e| format!("{probe} {addr}: {e}"))?;
        Ok(s)
    }

    pub fn var(&self, name: &str) -> &str {
        self.env.get(name).map(String::as_str).unwrap_or_else(|| panic!("mailstack.env has no {name}"))
    }

    pub fn host(&self) -> &str {
        self.var("MAILSTACK_HOST")
    }

    /// `IMAPS`, `IMAP`, `POP3S`, `POP3`, `SUBMISSION`, `SMTPS`.
    pub fn port(&self, which: &str) -> u16 {
        self.var(&format!("MAILSTACK_{which}_PORT")).parse().expect("port is a number")
    }

    pub fn ca(&self) -> TlsTrust {
        TlsTrust::from_ca_file(self.var("MAILSTACK_CA_CERT")).expect("stack CA is readable")
    }

    pub fn user(&self, name: &str) -> String {
        format!("{name}@{}", self.var("MAILSTACK_DOMAIN"))
    }
}
