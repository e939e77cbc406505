//! `oauthmail doctor`: prints core's findings (`oauthmail::doctor`).

use std::process::ExitCode;

use clap::Args;
use oauthmail::Result;
use oauthmail::doctor::{self, DoctorOptions, Finding, Status};

use crate::mail::Mail;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Do not try the SMTP login.
    #[arg(long)]
    pub no_smtp: bool,
    /// Do not try the IMAP login.
    #[arg(long)]
    pub no_imap: bool,
    /// Also try the POP3 login (its permission is then required, not just advised).
    #[arg(long)]
    pub pop3: bool,
    /// Print the findings as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Exit code 1 when any check found a problem.
pub fn run(mail: &Mail, args: &DoctorArgs) -> Result<ExitCode> {
    let options = DoctorOptions {
        smtp: if args.no_smtp { None } else { Some(mail.smtp_config()?) },
        imap: if args.no_imap { None } else { Some(mail.imap_config()?) },
        pop3: if args.pop3 { Some(mail.pop3_config()?) } else { None },
        ..DoctorOptions::new(mail.user()?)
    };
    let findings = doctor::diagnose(mail.credential.clone(), &options);
    if args.json {
        let text = serde_json::to_string_pretty(&findings)
            .map_err(|e| oauthmail::Error::internal("cannot encode JSON").with_source(e))?;
        println!("{text}");
    } else {
        print(&findings);
    }
    let problems = findings.iter().filter(|f| f.status == Status::Problem).count();
    if !args.json {
        match problems {
            0 => println!("\nNo problems found."),
            1 => println!("\n1 problem found."),
            n => println!("\n{n} problems found."),
        }
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print(findings: &[Finding]) {
    for f in findings {
        let mark = match f.status {
            Status::Ok => "✓",
            Status::Warning => "!",
            Status::Problem => "✗",
            Status::Skipped => "-",
        };
        match &f.code {
            Some(code) => println!("{mark} {:<12} {} ({code})", f.check, f.summary),
            None => println!("{mark} {:<12} {}", f.check, f.summary),
        }
        for step in &f.fix {
            println!("  {:<12} fix: {step}", "");
        }
    }
}
