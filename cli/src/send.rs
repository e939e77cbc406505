//! `oauthmail send`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use oauthmail::{Error, Message, Result, SendReport, Transport};

use crate::mail::Mail;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SendVia {
    Smtp,
    Graph,
    /// SMTP, and Microsoft Graph when Exchange answers that SMTP AUTH is off (5.7.139).
    Auto,
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Sender address (default: the mailbox, --user).
    #[arg(long)]
    pub from: Option<String>,
    /// Recipient (repeatable); `Name <address>` works too.
    #[arg(long, required = true)]
    pub to: Vec<String>,
    /// Copy recipient (repeatable).
    #[arg(long)]
    pub cc: Vec<String>,
    /// Blind copy recipient (repeatable; not in the headers).
    #[arg(long)]
    pub bcc: Vec<String>,
    /// Subject (any Unicode).
    #[arg(long, required_unless_present = "raw", conflicts_with = "raw")]
    pub subject: Option<String>,
    /// Plain-text body.
    #[arg(long, conflicts_with = "raw")]
    pub text: Option<String>,
    /// HTML body (with --text too, the message is multipart/alternative).
    #[arg(long, conflicts_with = "raw")]
    pub html: Option<String>,
    /// Send this RFC 5322 file as it is (envelope: --from and the recipients).
    #[arg(long, conflicts_with_all = ["text", "html", "attach"])]
    pub raw: Option<PathBuf>,
    /// Attach a file (repeatable).
    #[arg(long)]
    pub attach: Vec<PathBuf>,
    /// Graph for tenants where SMTP AUTH is off (needs the Graph Mail.Send permission);
    /// auto tries SMTP first.
    #[arg(long, value_enum, default_value = "smtp")]
    pub via: SendVia,
}

pub fn run(mail: &Mail, args: &SendArgs) -> Result<()> {
    let from = match &args.from {
        Some(f) => f.clone(),
        None => mail.user()?.to_owned(),
    };
    let report = match &args.raw {
        Some(path) => send_raw(mail, args, &from, path)?,
        None => {
            let message = build(args, &from);
            match args.via {
                SendVia::Smtp => mail.smtp()?.send(&message)?,
                SendVia::Graph => mail.graph()?.send(&message)?,
                SendVia::Auto => mail.smtp()?.with_graph_fallback(mail.graph()?).send(&message)?,
            }
        }
    };
    print_report(&report);
    Ok(())
}

fn build(args: &SendArgs, from: &str) -> Message {
    let mut m = Message::new().from(from).subject(args.subject.clone().unwrap_or_default());
    for a in &args.to {
        m = m.to(a);
    }
    for a in &args.cc {
        m = m.cc(a);
    }
    for a in &args.bcc {
        m = m.bcc(a);
    }
    if let Some(t) = &args.text {
        m = m.text(t);
    }
    if let Some(h) = &args.html {
        m = m.html(h);
    }
    if args.text.is_none() && args.html.is_none() {
        m = m.text("");
    }
    for path in &args.attach {
        m = m.attach_file(path, None, None);
    }
    m
}

fn send_raw(mail: &Mail, args: &SendArgs, from: &str, path: &Path) -> Result<SendReport> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::config(format!("cannot read {}", path.display())).with_source(e))?;
    match args.via {
        SendVia::Smtp | SendVia::Auto => {
            let rcpts: Vec<&str> = args.to.iter().chain(&args.cc).chain(&args.bcc).map(String::as_str).collect();
            let smtp = mail.smtp()?;
            let smtp = if args.via == SendVia::Auto { smtp.with_graph_fallback(mail.graph()?) } else { smtp };
            smtp.send_raw(from, &rcpts, &bytes)
        }
        // Graph reads the recipients from the message's own headers.
        SendVia::Graph => mail.graph()?.send_mime(&bytes),
    }
}

/// The queue id on stdout (scripts keep it); the rest on stderr.
fn print_report(report: &SendReport) {
    if report.via == Transport::Graph {
        eprintln!("sent through Microsoft Graph");
    }
    for r in &report.rejected {
        eprintln!("warning: {} was refused: {}", r.address, r.reply);
    }
    match (&report.queue_id, &report.message_id) {
        (Some(id), _) => println!("{id}"),
        (None, Some(mid)) => {
            eprintln!("accepted (the server gave no queue id; Message-ID follows)");
            println!("{mid}");
        }
        (None, None) => eprintln!("accepted ({})", report.reply),
    }
}
