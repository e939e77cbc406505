//! `oauthmail`: OAuth 2.0 tokens and mail from the command line.

mod credential;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oauthmail::{Error, Result};
use serde_json::json;

use settings::CredentialArgs;

#[derive(Parser, Debug)]
#[command(name = "oauthmail", version, about = "OAuth 2.0 tokens and mail over SMTP, IMAP, POP3 and Microsoft Graph")]
struct Cli {
    #[command(flatten)]
    credential: CredentialArgs,
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
}

fn run(cli: Cli) -> Result<()> {
    let profile = settings::load_profile(&cli.credential)?;
    let args = cli.credential.merged(&profile);
    match cli.command {
        Command::Token { json } => token(&args, json),
    }
}

fn token(args: &CredentialArgs, as_json: bool) -> Result<()> {
    let credential = credential::build(args)?;
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
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}
