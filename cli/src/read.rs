//! `oauthmail list`, `fetch`, `folders` and `watch`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use oauthmail::imap::{ListOptions, SearchQuery};
use oauthmail::{Error, GraphListOptions, GraphMailClient, ImapClient, MessageSummary, Result};

use crate::mail::Mail;
use crate::progress;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadVia {
    Imap,
    Pop3,
    Graph,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// IMAP folder, as `oauthmail folders` names it (Graph: a well-known name such as
    /// inbox or sentitems, or a display name).
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// At most this many messages, newest first.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only messages not read yet (IMAP, Graph).
    #[arg(long)]
    pub unseen: bool,
    /// Print a JSON array of message summaries.
    #[arg(long)]
    pub json: bool,
    /// Protocol to read with (POP3 sees only the inbox).
    #[arg(long, value_enum, default_value = "imap")]
    pub via: ReadVia,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// IMAP UID (POP3: the message number `list --via pop3` shows).
    #[arg(long, required_unless_present = "id", conflicts_with = "id")]
    pub uid: Option<u32>,
    /// Graph message id, as `list --via graph` shows it.
    #[arg(long)]
    pub id: Option<String>,
    /// IMAP folder, as `oauthmail folders` names it.
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// Write the message here instead of to stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Protocol to read with (POP3 sees only the inbox).
    #[arg(long, value_enum, default_value = "imap")]
    pub via: ReadVia,
}

#[derive(Args, Debug)]
pub struct FoldersArgs {
    /// Print a JSON array (name, delimiter, attributes, special_use).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// IMAP folder, as `oauthmail folders` names it.
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// Exit after this many new messages (default: run until interrupted).
    #[arg(long)]
    pub count: Option<usize>,
}

/// The `--uid` IMAP and POP3 need.
fn uid(args: &FetchArgs) -> Result<u32> {
    args.uid.ok_or_else(|| {
        Error::config("--id names a Graph message").with_hint("Use --via graph with --id, or --uid for IMAP and POP3.")
    })
}

fn pop3_inbox_only(folder: &str) -> Result<()> {
    if folder.eq_ignore_ascii_case("INBOX") {
        Ok(())
    } else {
        Err(Error::config(format!("POP3 has no folder '{folder}', only the inbox"))
            .with_hint("Use --via imap for other folders."))
    }
}

pub fn list(mail: &Mail, args: &ListArgs) -> Result<()> {
    let messages = match args.via {
        ReadVia::Imap => list_imap(&mail.imap()?, args)?,
        ReadVia::Pop3 => {
            pop3_inbox_only(&args.folder)?;
            if args.unseen {
                return Err(Error::config("POP3 does not know which messages were read")
                    .with_hint("Use --via imap with --unseen."));
            }
            mail.pop3()?.list_messages(args.limit)?
        }
        ReadVia::Graph => list_graph(&mail.graph()?, args)?,
    };
    if args.json {
        return print_json(&messages);
    }
    let mut out = std::io::stdout().lock();
    for m in &messages {
        let from = m.from.as_ref().map(ToString::to_string).unwrap_or_default();
        let date = m.date.map(format_date).unwrap_or_default();
        let unseen = if m.flags.iter().any(|f| f == "\\Seen") || args.via == ReadVia::Pop3 { ' ' } else { '*' };
        // Graph ids are long strings; they lead the line so that they can be copied whole.
        match &m.id {
            Some(id) => writeln!(out, "{id} {unseen} {date:16}  {from:30.30}  {}", m.subject),
            None => writeln!(out, "{:>6} {unseen} {date:16}  {from:30.30}  {}", m.uid, m.subject),
        }
        .map_err(stdout_error)?;
    }
    Ok(())
}

/// Lists page by page so that long listings can show progress.
fn list_imap(client: &ImapClient, args: &ListArgs) -> Result<Vec<MessageSummary>> {
    let options = ListOptions { limit: args.limit, unseen_only: args.unseen, ..ListOptions::default() };
    let mut pages = client.pages(&args.folder, &options)?;
    let bar = progress::items(pages.total() as u64, "messages");
    let mut out = Vec::with_capacity(pages.total());
    while let Some(page) = client.next_page(&mut pages)? {
        bar.inc(page.len() as u64);
        out.extend(page);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// Graph gives no total up front, so there is no progress bar.
fn list_graph(client: &GraphMailClient, args: &ListArgs) -> Result<Vec<MessageSummary>> {
    let options = GraphListOptions { limit: args.limit, unread_only: args.unseen, ..GraphListOptions::default() };
    client.list_messages(&args.folder, &options)
}

pub fn fetch(mail: &Mail, args: &FetchArgs) -> Result<()> {
    let bar = progress::bytes("downloading");
    let result = match &args.output {
        Some(path) => fetch_to_file(mail, args, path, &bar),
        None => {
            let mut out = progress::Counting { inner: std::io::stdout().lock(), bar: &bar };
            fetch_to(mail, args, &mut out).and_then(|()| out.flush().map_err(stdout_error))
        }
    };
    bar.finish_and_clear();
    result
}

fn fetch_to(mail: &Mail, args: &FetchArgs, out: &mut dyn Write) -> Result<()> {
    match args.via {
        ReadVia::Imap => {
            let client = mail.imap()?;
            client.examine(&args.folder)?;
            client.fetch_message_to(uid(args)?, out)
        }
        ReadVia::Pop3 => {
            pop3_inbox_only(&args.folder)?;
            mail.pop3()?.retr_to(uid(args)?, out)
        }
        ReadVia::Graph => {
            let id = args.id.as_deref().ok_or_else(|| {
                Error::config("--via graph fetches by --id").with_hint("Take the id from `oauthmail list --via graph`.")
            })?;
            mail.graph()?.fetch_message_to(id, out)
        }
    }
}

/// Streams into the file and removes it when the download fails, so that a
/// partial message is never left behind.
fn fetch_to_file(mail: &Mail, args: &FetchArgs, path: &Path, bar: &indicatif::ProgressBar) -> Result<()> {
    let file = std::fs::File::create(path)
        .map_err(|e| Error::config(format!("cannot create {}", path.display())).with_source(e))?;
    let mut out = progress::Counting { inner: std::io::BufWriter::new(file), bar };
    let result = fetch_to(mail, args, &mut out)
        .and_then(|()| out.flush().map_err(|e| Error::io(format!("cannot write {}", path.display()), e)));
    if result.is_err() {
        drop(out);
        let _ = std::fs::remove_file(path);
    }
    result
}

pub fn folders(mail: &Mail, args: &FoldersArgs) -> Result<()> {
    let folders = mail.imap()?.list_folders()?;
    if args.json {
        return print_json(&folders);
    }
    let mut out = std::io::stdout().lock();
    for f in &folders {
        match &f.special_use {
            Some(role) => writeln!(out, "{}  ({role})", f.name),
            None => writeln!(out, "{}", f.name),
        }
        .map_err(stdout_error)?;
    }
    Ok(())
}

/// Waits in IDLE and prints each new message as it arrives.
pub fn watch(mail: &Mail, args: &WatchArgs) -> Result<()> {
    let client = mail.imap()?;
    let mut next_uid = client.examine(&args.folder)?.uid_next;
    eprintln!("watching {} (Ctrl-C to stop)", args.folder);
    let mut seen = 0;
    while args.count.is_none_or(|c| seen < c) {
        // Re-issued before the 29 minutes RFC 2177 allows; new mail ends it early.
        let events = client.idle(Duration::from_secs(25 * 60))?;
        if events.exists.is_none() {
            continue;
        }
        let uids: Vec<u32> = client
            .search(&args.folder, &SearchQuery::new().uids(next_uid.max(1), u32::MAX))?
            .into_iter()
            .filter(|&u| u >= next_uid)
            .collect();
        if uids.is_empty() {
            continue;
        }
        let options = ListOptions { limit: Some(uids.len()), ..ListOptions::default() };
        let mut new: Vec<MessageSummary> =
            client.list_messages(&args.folder, &options)?.into_iter().filter(|m| m.uid >= next_uid).collect();
        new.sort_by_key(|m| m.uid);
        for m in new {
            let from = m.from.as_ref().map(ToString::to_string).unwrap_or_default();
            println!("{:>6}  {from}  {}", m.uid, m.subject);
            next_uid = next_uid.max(m.uid + 1);
            seen += 1;
        }
        std::io::stdout().flush().map_err(stdout_error)?;
    }
    Ok(())
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::internal("cannot encode JSON").with_source(e))?;
    println!("{text}");
    Ok(())
}

fn stdout_error(e: std::io::Error) -> Error {
    Error::io("cannot write to stdout", e)
}

/// `YYYY-MM-DD HH:MM` in UTC, from Unix seconds.
fn format_date(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(super::format_date(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(super::format_date(0), "1970-01-01 00:00");
        assert_eq!(super::format_date(951_782_400), "2000-02-29 00:00");
    }
}
