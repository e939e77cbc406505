//! Mail flows at TRACE level (every crate: oauthmail, rustls, reqwest, lettre...): SMTP, IMAP
//! and POP3 with both SASL mechanisms, Graph, and their failures (refused tokens, faults,
//! reconnects). Every captured log line, and every error's `Display` and `Debug`, is scanned
//! for the client secret, each access token the kit issued, and the SASL responses that carry
//! them: none may appear.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestKit, fixture, options, start_kit, trust};
use oauthmail::imap::{ImapClient, ImapConfig, ListOptions};
use oauthmail::pop3::{Pop3Client, Pop3Config};
use oauthmail::sasl::Mechanism;
use oauthmail::{
    ClientSecretCredential, GraphConfig, GraphMailClient, Message, Security, SmtpClient, SmtpConfig,
    StaticTokenCredential, TokenCredential,
};
use oauthmail_testkit::{GraphFault, INBOX, ImapFault, Pop3Fault, SmtpFault, TokenRequest};

const ALICE: &str = fixture::ALICE;
const BOB: &str = fixture::BOB;
const OUTLOOK: &str = "https://outlook.office365.com/.default";
const GRAPH: &str = "https://graph.microsoft.com/.default";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// What must never be shown, and everything that was shown besides the logs.
#[derive(Default)]
struct Watch {
    secrets: Vec<String>,
    shown: Vec<String>,
    errors: usize,
}

impl Watch {
    fn keep<T>(&mut self, r: oauthmail::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors += 1;
                self.shown.push(format!("{e}\n{e:?}"));
                None
            }
        }
    }

    /// The tokens `cred` holds now for each resource (the ones the flows just used).
    fn tokens_of(&mut self, cred: &dyn TokenCredential) {
        for scope in [OUTLOOK, GRAPH] {
            let token = cred.get_token(&[scope]).unwrap().token().expose().to_owned();
            self.secret_with_sasl(&token);
        }
    }

    /// A token, and the base64 SASL responses that carry it.
    fn secret_with_sasl(&mut self, token: &str) {
        for user in [ALICE, BOB] {
            self.secrets.push(STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01")));
            self.secrets.push(STANDARD.encode(format!("n,a={user},\x01auth=Bearer {token}\x01\x01")));
        }
        self.secrets.push(token.to_owned());
    }
}

fn credential(kit: &TestKit) -> Arc<ClientSecretCredential> {
    Arc::new(
        ClientSecretCredential::new(
            fixture::TENANT_ID,
            fixture::CONFIDENTIAL_APP_ID,
            fixture::CONFIDENTIAL_APP_SECRET,
            options(kit),
        )
        .unwrap(),
    )
}

fn smtp(kit: &TestKit, cred: Arc<dyn TokenCredential>, implicit: bool, mechanism: Mechanism) -> SmtpClient {
    let port = if implicit { kit.smtp_tls_port() } else { kit.smtp_starttls_port() };
    let mut c = SmtpConfig::new("127.0.0.1", port, ALICE);
    c.security = Some(if implicit { Security::Tls } else { Security::StartTls });
    c.mechanism = Some(mechanism);
    c.ca = trust(kit);
    SmtpClient::new(c, cred).unwrap()
}

fn imap(kit: &TestKit, cred: Arc<dyn TokenCredential>, mechanism: Mechanism) -> ImapClient {
    let mut c = ImapConfig::new("127.0.0.1", kit.imap_tls_port(), ALICE);
    c.security = Some(Security::Tls);
    c.mechanism = Some(mechanism);
    c.ca = trust(kit);
    ImapClient::new(c, cred).unwrap()
}

fn pop3(kit: &TestKit, cred: Arc<dyn TokenCredential>, mechanism: Mechanism) -> Pop3Client {
    let mut c = Pop3Config::new("127.0.0.1", kit.pop3_starttls_port(), ALICE);
    c.security = Some(Security::StartTls);
    c.mechanism = Some(mechanism);
    c.ca = trust(kit);
    Pop3Client::new(c, cred).unwrap()
}

fn graph(kit: &TestKit, cred: Arc<dyn TokenCredential>) -> GraphMailClient {
    let mut c = GraphConfig::new(ALICE);
    c.base_url = kit.graph_url();
    c.ca = trust(kit);
    GraphMailClient::new(c, cred).unwrap()
}

fn mail(subject: &str) -> Message {
    Message::new().from(ALICE).to(BOB).subject(subject).text("secret scan")
}

#[test]
fn no_token_or_secret_in_trace_logs_of_mail_flows() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .init();
    let kit = start_kit();
    kit.store().seed(ALICE, 3);
    let mut watch = Watch { secrets: vec![fixture::CONFIDENTIAL_APP_SECRET.into()], ..Watch::default() };
    let cred = credential(&kit);
    let dyn_cred: Arc<dyn TokenCredential> = cred.clone();

    // SMTP: both mechanisms, STARTTLS and implicit TLS, a dropped login, 5.7.139.
    for (implicit, mechanism) in [(false, Mechanism::Xoauth2), (true, Mechanism::OAuthBearer)] {
        let client = smtp(&kit, dyn_cred.clone(), implicit, mechanism);
        watch.keep(client.send(&mail("scan")));
        kit.inject_smtp(SmtpFault::DropAfterAuth, 1);
        watch.keep(smtp(&kit, dyn_cred.clone(), implicit, mechanism).send(&mail("scan drop")));
        watch.shown.push(format!("{client:?}"));
    }
    kit.inject_smtp(SmtpFault::AuthDisabled, 1);
    watch.keep(smtp(&kit, dyn_cred.clone(), false, Mechanism::Xoauth2).send(&mail("scan 139")));

    // IMAP: list and fetch with both mechanisms, the AccessTokenExpired BYE, a cut FETCH.
    for mechanism in [Mechanism::Xoauth2, Mechanism::OAuthBearer] {
        let client = imap(&kit, dyn_cred.clone(), mechanism);
        let listed = watch.keep(client.list_messages(INBOX, &ListOptions::default())).unwrap_or_default();
        assert_eq!(listed.len(), 3);
        kit.inject_imap(ImapFault::ByeAccessTokenExpired { after_commands: 0 }, 1);
        kit.inject_imap(ImapFault::DropMidFetch, 1);
        watch.keep(imap(&kit, dyn_cred.clone(), mechanism).fetch_message(1));
        watch.shown.push(format!("{client:?}"));
    }

    // POP3: both mechanisms over STLS, a cut RETR.
    for mechanism in [Mechanism::Xoauth2, Mechanism::OAuthBearer] {
        let client = pop3(&kit, dyn_cred.clone(), mechanism);
        watch.keep(client.stat());
        kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
        watch.keep(client.fetch_message(1));
        watch.shown.push(format!("{client:?}"));
    }

    // Graph: a send, a refused token that is refreshed, access denied.
    let client = graph(&kit, dyn_cred.clone());
    watch.keep(client.send(&mail("scan graph")));
    kit.inject_graph(GraphFault::InvalidToken, 1);
    watch.keep(client.send(&mail("scan graph refreshed")));
    kit.inject_graph(GraphFault::AccessDenied, 1);
    watch.keep(client.send(&mail("scan graph denied")));
    watch.shown.push(format!("{client:?}"));
    watch.tokens_of(cred.as_ref());

    // Tokens the servers refuse (expired, wrong audience), presented as they are.
    for request in [
        TokenRequest::app(&["SMTP.SendAsApp", "IMAP.AccessAsApp", "POP.AccessAsApp"]).expires_in(-60),
        TokenRequest::app(&["Mail.Send"]).audience(fixture::GRAPH_RESOURCE),
    ] {
        let token = kit.issue_token(&request);
        watch.secret_with_sasl(&token);
        let refused: Arc<dyn TokenCredential> = Arc::new(StaticTokenCredential::new(token, None).unwrap());
        watch.keep(smtp(&kit, refused.clone(), false, Mechanism::Xoauth2).send(&mail("refused")));
        watch.keep(imap(&kit, refused.clone(), Mechanism::OAuthBearer).connect());
        watch.keep(pop3(&kit, refused.clone(), Mechanism::Xoauth2).stat());
        watch.shown.push(format!("{refused:?}"));
    }

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The flows ran, and at a level that would show a leak.
    assert!(logs.contains("TRACE"), "TRACE lines were captured");
    assert!(logs.lines().count() > 200, "{} lines", logs.lines().count());
    assert!(watch.errors >= 8, "the failures happened: {}", watch.errors);
    assert!(kit.smtp_stats().messages_accepted >= 3);
    assert!(kit.graph_messages_sent() >= 2);
    assert!(watch.secrets.len() >= 15);

    let shown = format!("{logs}\n{}", watch.shown.join("\n"));
    for secret in &watch.secrets {
        assert!(!shown.contains(secret.as_str()), "a secret leaked: {}...", &secret[..6.min(secret.len())]);
    }
    // Every JWT starts with "eyJ" (base64 of `{"`), every XOAUTH2 response with "dXNlcj0" (`user=`).
    for marker in ["eyJ", "dXNlcj0"] {
        assert!(!shown.contains(marker), "'{marker}' appears in the logs or errors");
    }
}
