//! `oauthmail demo`: the job of the JavaMail program that broke when Exchange
//! Online turned basic auth off (client-credentials token, send a message with
//! a Chinese subject, read the inbox), run end to end through the real client
//! code against the bundled test kit on 127.0.0.1. Needs no account and no
//! configuration.

use oauthmail::{Error, Message, Result};
use oauthmail_testkit::{TestKit, fixture};
use serde_json::Value;

use crate::mail::Mail;
use crate::settings::{CredentialArgs, MailArgs};

const SUBJECT: &str = "Test测试邮件标题";
const BODY: &str = "Test测试邮件正文";

fn kit_error(e: std::io::Error) -> Error {
    Error::internal("cannot start the test kit").with_source(e)
}

/// The port of one of the kit's servers from its info line.
fn tls_port(info: &Value, server: &str) -> Result<u16> {
    info[server]["tls_port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::internal(format!("this build of the test kit has no {server} server")))
}

/// The settings a user would put in the environment, pointing at the kit.
fn settings(kit: &TestKit, secret: &str) -> Result<(CredentialArgs, MailArgs)> {
    let info = kit.info();
    let credential = CredentialArgs {
        tenant_id: Some(fixture::TENANT_ID.into()),
        client_id: Some(fixture::CONFIDENTIAL_APP_ID.into()),
        client_secret: Some(secret.into()),
        authority: Some(kit.authority()),
        ca_file: Some(kit.ca_path().to_path_buf()),
        ..CredentialArgs::default()
    };
    let loopback = Some("127.0.0.1".to_owned());
    let tls = Some("tls".to_owned());
    let mail = MailArgs {
        user: Some(fixture::ALICE.into()),
        smtp_host: loopback.clone(),
        smtp_port: Some(tls_port(&info, "smtp")?),
        smtp_security: tls.clone(),
        imap_host: loopback.clone(),
        imap_port: Some(tls_port(&info, "imap")?),
        imap_security: tls.clone(),
        pop3_host: loopback,
        pop3_port: Some(tls_port(&info, "pop3")?),
        pop3_security: tls,
        graph_url: Some(kit.graph_url()),
        ..MailArgs::default()
    };
    Ok((credential, mail))
}

pub fn run() -> Result<()> {
    println!("oauthmail demo: a fake Microsoft identity platform and SMTP, IMAP and POP3 servers on 127.0.0.1");
    println!("with a CA made just now; the clients are the real ones, with TLS verified.\n");
    let kit = TestKit::start_default().map_err(kit_error)?;
    let (cred_args, mail_args) = settings(&kit, fixture::CONFIDENTIAL_APP_SECRET)?;
    println!("✓ test kit     identity platform {}, CA {}", kit.authority(), kit.ca_path().display());

    let mail = Mail::new(&mail_args, &cred_args)?;
    let token = mail.credential.get_token(&[])?;
    let claims = token.claims()?;
    println!(
        "✓ token        client credentials for app {}: audience {}, roles {}, valid {} min",
        fixture::CONFIDENTIAL_APP_ID,
        claims.aud.as_deref().unwrap_or("?"),
        claims.roles.join(" "),
        token.remaining().as_secs() / 60
    );

    let user = mail.user()?;
    let message = Message::new().from(user).to(user).subject(SUBJECT).text(BODY);
    let smtp = mail.smtp()?;
    let report = smtp.send(&message)?;
    smtp.close();
    println!(
        "✓ SMTP         sent \"{SUBJECT}\" from {user} to {user} (XOAUTH2 on port {}): queue id {}",
        mail.provider.smtp.port,
        report.queue_id.as_deref().unwrap_or("(none)")
    );

    let imap = mail.imap()?;
    let listed = imap.list_messages("INBOX", &oauthmail::imap::ListOptions::default())?;
    imap.close();
    println!("✓ IMAP         INBOX of {user}: {} message(s)", listed.len());
    for m in &listed {
        println!("                 uid {:<4} {}", m.uid, m.subject);
    }

    let pop3 = mail.pop3()?;
    let listed = pop3.list_messages(None)?;
    pop3.close()?;
    println!("✓ POP3         maildrop of {user}: {} message(s)", listed.len());
    for m in &listed {
        println!("                 #{:<5}  {}", m.uid, m.subject);
    }

    // The same configuration with a wrong secret, as a user would see it.
    let (bad_args, _) = settings(&kit, "not-the-secret")?;
    let bad = crate::credential::build(&bad_args, &mail.provider.authority)?;
    match bad.get_token(&[]) {
        Ok(_) => return Err(Error::internal("the test kit accepted a wrong client secret")),
        Err(e) => {
            println!("✓ a failure    with a wrong client secret, oauthmail says:");
            println!(
                "                 error: {} ({}): {}",
                e.kind(),
                e.code().unwrap_or("-"),
                without_ids(e.message_text())
            );
            if let Some(hint) = e.hint() {
                println!("                 hint: {hint}");
            }
        }
    }
    println!("\nYour turn: set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and OAUTHMAIL_USER, then run");
    println!("`oauthmail doctor` to check the tenant, and `oauthmail send` / `oauthmail list`.");
    Ok(())
}

/// Microsoft's error descriptions end with trace and correlation ids, noise in a demo.
fn without_ids(text: &str) -> &str {
    text.find(" (trace ID").map_or(text, |i| &text[..i])
}
