//! `oauthmail`: OAuth 2.0 tokens and mail from the command line.

mod credential;
mod demo;
mod doctor;
mod mail;
mod progress;
mod read;
mod send;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oauthmail::{Error, Result};
use serde_json::json;

use mail::Mail;
use settings::{CredentialArgs, MailArgs};

#[derive(Parser, Debug)]
#[command(name = "oauthmail", version, about = "OAuth 2.0 tokens and mail over SMTP, IMAP, POP3 and Microsoft Graph")]
struct Cli {
    #[command(flatten)]
    credential: CredentialArgs,
    #[command(flatten)]
    mail: MailArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print an access token (or, with --json, its expiry and decoded claims).
    Token {
        /// Print a JSON object with the token, its expiry and its claims.
        #[arg(long)]
        json: bool,
    },
    /// Send a message over SMTP (or Microsoft Graph); prints the queue id.
    Send(send::SendArgs),
    /// List the messages of a folder.
    List(read::ListArgs),
    /// Download one whole message (RFC 5322).
    Fetch(read::FetchArgs),
    /// List the IMAP folders.
    Folders(read::FoldersArgs),
    /// Wait for new mail (IMAP IDLE) and print each message as it arrives.
    Watch(read::WatchArgs),
    /// Check the configuration (token, audience, roles, SMTP and IMAP logins) and explain how to fix it.
    Doctor(doctor::DoctorArgs),
    /// Run the whole job (token, send, list over IMAP and POP3, a failure) against a built-in test kit.
    Demo,
}

fn run(cli: Cli) -> Result<ExitCode> {
    // The demo needs no configuration, so a broken one must not stop it.
    if let Command::Demo = cli.command {
        return demo::run().map(|()| ExitCode::SUCCESS);
    }
    let profile = settings::load_profile(&cli.credential)?;
    let args = cli.credential.merged(&profile);
    let mail_args = cli.mail.merged(&profile);
    match cli.command {
        Command::Token { json } => token(&args, &mail_args, json),
        Command::Send(a) => send::run(&Mail::new(&mail_args, &args)?, &a),
        Command::List(a) => read::list(&Mail::new(&mail_args, &args)?, &a),
        Command::Fetch(a) => read::fetch(&Mail::new(&mail_args, &args)?, &a),
        Command::Folders(a) => read::folders(&Mail::new(&mail_args, &args)?, &a),
        Command::Watch(a) => read::watch(&Mail::new(&mail_args, &args)?, &a),
        Command::Doctor(a) => return doctor::run(&Mail::new(&mail_args, &args)?, &a),
        Command::Demo => unreachable!("handled above"),
    }
    .map(|()| ExitCode::SUCCESS)
}

fn token(args: &CredentialArgs, mail_args: &MailArgs, as_json: bool) -> Result<()> {
    let credential = mail::credential(args, mail_args, &mail::provider(mail_args)?)?;
    let token = credential.get_token(&[])?;
    if !as_json {
        println!("{}", token.token().expose());
        return Ok(());
    }
    // Opaque tokens (Google) have no claims; that is not an error here.
    let claims = token.claims().ok().map(|c| serde_json::Value::Object(c.all));
    let out = json!({
        "access_token": token.token().expose(),
        "expires_on": token.expires_on_unix(),
        "expires_in": token.remaining().as_secs(),
        "claims": claims,
    });
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Error::internal(e.to_string()))?);
    Ok(())
}

/// Kind, provider code and hint on stderr, so scripts and people both see what to fix.
fn report(err: &Error) {
    match err.code() {
        Some(code) => eprintln!("error: {} ({code}): {}", err.kind(), err.message_text()),
        None => eprintln!("error: {}: {}", err.kind(), err.message_text()),
    }
    if let Some(hint) = err.hint() {
        eprintln!("hint: {hint}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}
