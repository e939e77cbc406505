//! `oauthmail-testkit [--config FILE] [--token-lifetime SECS] [--until-signal]`
//!
//! Prints one JSON line describing the running kit, then serves until stdin reaches EOF
//! (or, with `--until-signal`, ignores stdin) or SIGTERM/SIGINT arrives.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::mpsc;

use oauthmail_testkit::{Config, TestKit};

struct Args {
    config: Option<String>,
    token_lifetime: Option<u64>,
    until_signal: bool,
}

const USAGE: &str = "usage: oauthmail-testkit [--config FILE] [--token-lifetime SECS] [--until-signal]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args { config: None, token_lifetime: None, until_signal: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--config" => args.config = Some(it.next().ok_or("--config needs a file")?),
            "--token-lifetime" => {
                let value = it.next().ok_or("--token-lifetime needs seconds")?;
                args.token_lifetime = Some(value.parse().map_err(|_| format!("bad --token-lifetime '{value}'"))?);
            }
            "--until-signal" => args.until_signal = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(args)
}

fn load_config(args: &Args) -> Result<Config, String> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            Config::from_json(&text).map_err(|e| format!("{path}: {e}"))?
        }
        None => Config::default_fixture(),
    };
    if let Some(secs) = args.token_lifetime {
        config.token_lifetime_secs = secs;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse_args().and_then(|a| load_config(&a).map(|c| (a, c))) {
        Ok(ok) => ok,
        Err(msg) => {
            eprintln!("oauthmail-testkit: {msg}");
            return ExitCode::from(2);
        }
    };
    let (args, config) = config;
    let kit = match TestKit::start(config) {
        Ok(kit) => kit,
        Err(e) => {
            eprintln!("oauthmail-testkit: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };

    let (stop_tx, stop_rx) = mpsc::channel::<&'static str>();
    let signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT]);
    match signals {
        Ok(mut signals) => {
            let tx = stop_tx.clone();
            std::thread::spawn(move || {
                if signals.forever().next().is_some() {
                    let _ = tx.send("signal");
                }
            });
        }
        Err(e) => eprintln!("oauthmail-testkit: cannot handle signals: {e}"),
    }
    if !args.until_signal {
        std::thread::spawn(move || {
            let mut sink = [0u8; 1024];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = stop_tx.send("stdin closed");
        });
    }

    let mut out = std::io::stdout().lock();
    if writeln!(out, "{}", kit.info()).and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(out);

    let reason = stop_rx.recv().unwrap_or("channel closed");
    eprintln!("oauthmail-testkit: stopping ({reason})");
    drop(kit);
    ExitCode::SUCCESS
}
