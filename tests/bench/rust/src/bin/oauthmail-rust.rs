//! The `oauthmail-rust` contender: the oauthmail crate's public API, used the way
//! its README shows (one credential, one client per protocol, its own helpers).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use oauthmail::imap::{ImapClient, ImapConfig, ListOptions};
use oauthmail::sasl::Mechanism;
use oauthmail::tls::TlsTrust;
use oauthmail::{
    CredentialOptions, Message, Pop3Client, Pop3Config, Security, SmtpClient, SmtpConfig, TokenCredential,
    UsernamePasswordCredential,
};
use oauthmail_bench::{BoxError, Config, body, main_with, timed, unix_now};
use serde_json::{Value, json};

fn credential(c: &Config) -> Result<Arc<UsernamePasswordCredential>, BoxError> {
    let id = &c.identity;
    let mut options = CredentialOptions::new(Some(&id.authority), Some(&id.ca_file))?;
    options.scopes = vec![id.scope.clone()];
    let s = &c.scenario;
    Ok(Arc::new(UsernamePasswordCredential::new(&id.tenant_id, &id.client_id, s.user(), s.password(), options)?))
}

fn imap(c: &Config, credential: Arc<UsernamePasswordCredential>) -> Result<ImapClient, BoxError> {
    let mut config = ImapConfig::new(&c.host, c.ports.imaps, c.scenario.user());
    config.security = Some(Security::Tls);
    config.ca = TlsTrust::from_ca_file(&c.ca_file)?;
    config.mechanism = Some(Mechanism::Xoauth2);
    Ok(ImapClient::new(config, credential)?)
}

fn list(c: &Config) -> Result<Value, BoxError> {
    let start = Instant::now();
    let client = imap(c, credential(c)?)?;
    let options = ListOptions { newest_first: false, ..ListOptions::default() };
    let summaries = client.list_messages(c.scenario.folder(), &options)?;
    let result = timed(summaries.len(), start);
    client.close();
    Ok(result)
}

fn send(c: &Config) -> Result<Value, BoxError> {
    let s = &c.scenario;
    let to = s.to.as_deref().ok_or("scenario.to")?;
    let start = Instant::now();
    let mut config = SmtpConfig::new(&c.host, c.ports.submission, s.user());
    config.security = Some(Security::StartTls);
    config.ca = TlsTrust::from_ca_file(&c.ca_file)?;
    config.mechanism = Some(Mechanism::Xoauth2);
    let client = SmtpClient::new(config, credential(c)?)?;
    let mut accepted = 0;
    for i in 0..s.count() {
        let message = Message::new().from(s.user()).to(to).subject(format!("bench {i}")).text(body(i));
        accepted += client.send(&message)?.accepted.len();
    }
    let result = timed(accepted, start);
    client.close();
    Ok(result)
}

fn pop3(c: &Config) -> Result<Value, BoxError> {
    let start = Instant::now();
    let mut config = Pop3Config::new(&c.host, c.ports.pop3s, c.scenario.user());
    config.security = Some(Security::Tls);
    config.ca = TlsTrust::from_ca_file(&c.ca_file)?;
    config.mechanism = Some(Mechanism::Xoauth2);
    let client = Pop3Client::new(config, credential(c)?)?;
    // LIST + UIDL + pipelined TOP n 0: the library's summary listing.
    let summaries = client.list_messages(None)?;
    Ok(timed(summaries.len(), start))
}

fn download(c: &Config) -> Result<Value, BoxError> {
    let s = &c.scenario;
    let out = s.out.as_deref().ok_or("scenario.out")?;
    let start = Instant::now();
    let client = imap(c, credential(c)?)?;
    client.examine(s.folder())?;
    client.fetch_message_to_file(s.uid.ok_or("scenario.uid")?, Path::new(out))?;
    let result = timed(1, start);
    client.close();
    Ok(result)
}

fn token(c: &Config) -> Result<Value, BoxError> {
    let calls = c.scenario.calls.ok_or("scenario.calls")?;
    let credential = credential(c)?;
    let scopes = [c.identity.scope.as_str()];
    credential.get_token(&scopes)?;
    let start = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(credential.get_token(std::hint::black_box(&scopes))?);
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(json!({"items": calls, "seconds": seconds, "ns_per_call": seconds * 1e9 / calls as f64}))
}

fn cold(c: &Config) -> Result<Value, BoxError> {
    let client = imap(c, credential(c)?)?;
    client.select(c.scenario.folder())?;
    let auth_at = unix_now();
    client.close();
    Ok(json!({"items": 1, "auth_at": auth_at}))
}

fn run(scenario: &str, c: &Config) -> Result<Value, BoxError> {
    match scenario {
        "list" => list(c),
        "send" => send(c),
        "pop3" => pop3(c),
        "download" => download(c),
        "token" => token(c),
        "cold" => cold(c),
        other => Err(format!("unknown scenario '{other}'").into()),
    }
}

fn main() -> ExitCode {
    main_with(run)
}
