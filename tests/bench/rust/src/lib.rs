//! What both Rust contenders share: the harness's run configuration
//! (tests/bench/CONTRACT.md), argument handling and the JSON result line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};

pub mod wire;

#[derive(Debug, Deserialize)]
pub struct Ports {
    pub imaps: u16,
    pub pop3s: u16,
    pub submission: u16,
}

#[derive(Debug, Deserialize)]
pub struct Identity {
    pub authority: String,
    pub tenant_id: String,
    pub client_id: String,
    pub token_url: String,
    pub scope: String,
    pub ca_file: PathBuf,
}

/// The `scenario` object; each scenario uses some of these fields.
#[derive(Debug, Default, Deserialize)]
pub struct Scenario {
    pub user: Option<String>,
    pub password: Option<String>,
    pub folder: Option<String>,
    pub to: Option<String>,
    pub count: Option<usize>,
    pub uid: Option<u32>,
    pub out: Option<PathBuf>,
    pub calls: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct Config {
    pub host: String,
    pub ca_file: PathBuf,
    pub ports: Ports,
    pub identity: Identity,
    pub scenario: Scenario,
}

impl Scenario {
    pub fn user(&self) -> &str {
        self.user.as_deref().expect("scenario.user")
    }
    pub fn password(&self) -> &str {
        self.password.as_deref().expect("scenario.password")
    }
    pub fn folder(&self) -> &str {
        self.folder.as_deref().unwrap_or("INBOX")
    }
    pub fn count(&self) -> usize {
        self.count.expect("scenario.count")
    }
}

pub type BoxError = Box<dyn std::error::Error>;

/// The body of every sent message: about 200 bytes of text.
pub fn body(i: usize) -> String {
    format!("Benchmark message {i}.\r\n{}\r\n", "The quick brown fox jumps over the lazy dog. ".repeat(4))
}

/// Unix time as float seconds (wall clock), for the `cold` scenario's `auth_at`.
pub fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// `{"items": n, "seconds": s}` for a run timed from `start`.
pub fn timed(items: usize, start: Instant) -> Value {
    json!({"items": items, "seconds": start.elapsed().as_secs_f64()})
}

/// Reads `<scenario> <config.json>`, runs `run`, prints its JSON as the last line.
pub fn main_with(run: fn(&str, &Config) -> Result<Value, BoxError>) -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, scenario, path] = args.as_slice() else {
        eprintln!("usage: {} <scenario> <config.json>", args.first().map_or("contender", |a| a.as_str()));
        return ExitCode::from(2);
    };
    let config = match std::fs::read_to_string(path)
        .map_err(BoxError::from)
        .and_then(|text| serde_json::from_str::<Config>(&text).map_err(BoxError::from))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match run(scenario, &config) {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{scenario}: {e}");
            ExitCode::FAILURE
        }
    }
}
