//! The `raw-floor` contender: what the servers allow. It only moves the bytes:
//! one token by a plain HTTPS POST, std TCP + rustls, every protocol pipelined
//! as far as it goes, nothing decoded beyond counting responses.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use oauthmail_bench::wire::{self, Tls};
use oauthmail_bench::{BoxError, Config, body, main_with, timed, unix_now};
use serde_json::{Value, json};

type Conn = BufReader<Tls>;

fn token(c: &Config) -> Result<String, BoxError> {
    let (id, s) = (&c.identity, &c.scenario);
    wire::password_token(&id.token_url, &id.ca_file, &id.client_id, s.user(), s.password(), &id.scope)
}

fn send_all(conn: &mut Conn, data: &[u8]) -> Result<(), BoxError> {
    conn.get_mut().write_all(data)?;
    Ok(conn.get_mut().flush()?)
}

/// `{n}\r\n` at the end of an IMAP line: the size of the literal that follows.
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"}\r\n")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&line[open + 1..]).ok()?.trim_end_matches('+').parse().ok()
}

/// Reads IMAP responses up to the tagged one; calls `untagged` for each whole
/// untagged response (literals included). Fails unless the tagged reply is OK.
fn imap_until(conn: &mut Conn, tag: &str, mut untagged: impl FnMut(&[u8])) -> Result<(), BoxError> {
    let mut response = Vec::new();
    let mut buf = Vec::new();
    loop {
        response.clear();
        loop {
            wire::line(conn, &mut buf)?;
            response.extend_from_slice(&buf);
            let Some(n) = literal_size(&buf) else { break };
            let start = response.len();
            response.resize(start + n, 0);
            conn.read_exact(&mut response[start..])?;
        }
        if let Some(rest) = response.strip_prefix(tag.as_bytes()).and_then(|r| r.strip_prefix(b" ")) {
            return if rest.starts_with(b"OK") {
                Ok(())
            } else {
                Err(format!("IMAP {tag}: {}", String::from_utf8_lossy(&response).trim_end()).into())
            };
        }
        untagged(&response);
    }
}

/// Token, TLS, greeting, AUTHENTICATE XOAUTH2 with the initial response.
fn imap_login(c: &Config) -> Result<Conn, BoxError> {
    let token = token(c)?;
    let mut conn = wire::connect(&wire::tls_config(&c.ca_file)?, &c.host, c.ports.imaps)?;
    let mut buf = Vec::new();
    wire::line(&mut conn, &mut buf)?;
    let auth = wire::xoauth2(c.scenario.user(), &token);
    send_all(&mut conn, format!("a AUTHENTICATE XOAUTH2 {auth}\r\n").as_bytes())?;
    imap_until(&mut conn, "a", |_| {})?;
    Ok(conn)
}

const SUMMARY_ITEMS: &str = "(UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE \
    BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM TO CC MESSAGE-ID)])";

fn is_fetch(response: &[u8]) -> bool {
    response.starts_with(b"* ") && response.windows(7).any(|w| w == b" FETCH ")
}

fn list(c: &Config) -> Result<Value, BoxError> {
    let start = Instant::now();
    let mut conn = imap_login(c)?;
    let folder = c.scenario.folder();
    // The same items oauthmail's summaries ask for (`core/src/imap/parse.rs`, SUMMARY_ITEMS):
    // the ratio is then the library's own cost, not that of the server building BODYSTRUCTURE.
    let commands = format!("b EXAMINE \"{folder}\"\r\nc UID FETCH 1:* {SUMMARY_ITEMS}\r\n");
    send_all(&mut conn, commands.as_bytes())?;
    imap_until(&mut conn, "b", |_| {})?;
    let mut items = 0;
    imap_until(&mut conn, "c", |r| items += usize::from(is_fetch(r)))?;
    Ok(timed(items, start))
}

fn download(c: &Config) -> Result<Value, BoxError> {
    let s = &c.scenario;
    let start = Instant::now();
    let mut conn = imap_login(c)?;
    let uid = s.uid.ok_or("scenario.uid")?;
    let commands = format!("b EXAMINE \"{}\"\r\nc UID FETCH {uid} BODY.PEEK[]\r\n", s.folder());
    send_all(&mut conn, commands.as_bytes())?;
    imap_until(&mut conn, "b", |_| {})?;
    let mut out = BufWriter::with_capacity(256 * 1024, File::create(s.out.as_deref().ok_or("scenario.out")?)?);
    let mut buf = Vec::new();
    wire::line(&mut conn, &mut buf)?;
    let size = literal_size(&buf).filter(|_| is_fetch(&buf)).ok_or("expected a FETCH with a literal")?;
    // Straight from the TLS stream to the file, never the whole message in memory.
    let copied = std::io::copy(&mut (&mut conn).take(size as u64), &mut out)?;
    out.flush()?;
    if copied != size as u64 {
        return Err("connection closed inside the message".into());
    }
    imap_until(&mut conn, "c", |_| {})?;
    Ok(timed(1, start))
}

/// One SMTP reply (multi-line aware); fails unless its code starts with `want`.
fn smtp_reply(conn: &mut Conn, want: u8, buf: &mut Vec<u8>) -> Result<(), BoxError> {
    loop {
        wire::line(conn, buf)?;
        if buf.len() < 4 || buf[0] != want {
            return Err(format!("SMTP: {}", String::from_utf8_lossy(buf).trim_end()).into());
        }
        if buf[3] == b' ' {
            return Ok(());
        }
    }
}

fn send(c: &Config) -> Result<Value, BoxError> {
    let s = &c.scenario;
    let (user, to, count) = (s.user(), s.to.as_deref().ok_or("scenario.to")?, s.count());
    let start = Instant::now();
    let token = token(c)?;
    let config = wire::tls_config(&c.ca_file)?;
    let mut tcp = BufReader::new(std::net::TcpStream::connect((c.host.as_str(), c.ports.submission))?);
    tcp.get_ref().set_nodelay(true)?;
    let mut buf = Vec::new();
    for (command, want) in [(None, b'2'), (Some("EHLO floor.example.test\r\n"), b'2'), (Some("STARTTLS\r\n"), b'2')] {
        if let Some(command) = command {
            tcp.get_mut().write_all(command.as_bytes())?;
        }
        // Plain-text replies read with a BufReader: STARTTLS's 220 is the last byte before TLS.
        loop {
            wire::line(&mut tcp, &mut buf)?;
            if buf.len() < 4 || buf[0] != want {
                return Err(format!("SMTP: {}", String::from_utf8_lossy(&buf).trim_end()).into());
            }
            if buf[3] == b' ' {
                break;
            }
        }
    }
    let mut conn = BufReader::with_capacity(64 * 1024, wire::tls(&config, &c.host, tcp.into_inner())?);
    send_all(&mut conn, b"EHLO floor.example.test\r\n")?;
    smtp_reply(&mut conn, b'2', &mut buf)?;
    send_all(&mut conn, format!("AUTH XOAUTH2 {}\r\n", wire::xoauth2(user, &token)).as_bytes())?;
    smtp_reply(&mut conn, b'2', &mut buf)?;
    let envelope = format!("MAIL FROM:<{user}>\r\nRCPT TO:<{to}>\r\nDATA\r\n");
    let mut batch = envelope.clone();
    let mut accepted = 0;
    for i in 0..count {
        send_all(&mut conn, batch.as_bytes())?;
        if i > 0 {
            smtp_reply(&mut conn, b'2', &mut buf)?; // the previous message's final dot
            accepted += 1;
        }
        smtp_reply(&mut conn, b'2', &mut buf)?;
        smtp_reply(&mut conn, b'2', &mut buf)?;
        smtp_reply(&mut conn, b'3', &mut buf)?;
        // RFC 2920: the end of data may be pipelined with the next transaction's commands.
        batch = format!(
            "From: <{user}>\r\nTo: <{to}>\r\nSubject: bench {i}\r\nMessage-ID: <floor-{i}-{}@example.test>\r\n\r\n{}.\r\n",
            std::process::id(),
            body(i)
        );
        if i + 1 < count {
            batch.push_str(&envelope);
        }
    }
    if count > 0 {
        send_all(&mut conn, batch.as_bytes())?;
        smtp_reply(&mut conn, b'2', &mut buf)?;
        accepted += 1;
    }
    let result = timed(accepted, start);
    send_all(&mut conn, b"QUIT\r\n")?;
    Ok(result)
}

/// Reads one POP3 multi-line response to its terminating dot; fails on `-ERR`.
fn pop3_multi(conn: &mut Conn, buf: &mut Vec<u8>) -> Result<usize, BoxError> {
    wire::line(conn, buf)?;
    if !buf.starts_with(b"+OK") {
        return Err(format!("POP3: {}", String::from_utf8_lossy(buf).trim_end()).into());
    }
    let mut lines = 0;
    loop {
        wire::line(conn, buf)?;
        if buf == b".\r\n" {
            return Ok(lines);
        }
        lines += 1;
    }
}

fn pop3(c: &Config) -> Result<Value, BoxError> {
    let start = Instant::now();
    let token = token(c)?;
    let mut conn = wire::connect(&wire::tls_config(&c.ca_file)?, &c.host, c.ports.pop3s)?;
    let mut buf = Vec::new();
    wire::line(&mut conn, &mut buf)?;
    send_all(&mut conn, format!("AUTH XOAUTH2 {}\r\nUIDL\r\n", wire::xoauth2(c.scenario.user(), &token)).as_bytes())?;
    wire::line(&mut conn, &mut buf)?;
    if !buf.starts_with(b"+OK") {
        return Err(format!("POP3 AUTH: {}", String::from_utf8_lossy(&buf).trim_end()).into());
    }
    let messages = pop3_multi(&mut conn, &mut buf)?;
    let tops: String = (1..=messages).map(|n| format!("TOP {n} 0\r\n")).collect();
    send_all(&mut conn, tops.as_bytes())?;
    for _ in 0..messages {
        pop3_multi(&mut conn, &mut buf)?;
    }
    let result = timed(messages, start);
    send_all(&mut conn, b"QUIT\r\n")?;
    Ok(result)
}

fn cold(c: &Config) -> Result<Value, BoxError> {
    let mut conn = imap_login(c)?;
    send_all(&mut conn, format!("b SELECT \"{}\"\r\n", c.scenario.folder()).as_bytes())?;
    imap_until(&mut conn, "b", |_| {})?;
    Ok(json!({"items": 1, "auth_at": unix_now()}))
}

fn run(scenario: &str, c: &Config) -> Result<Value, BoxError> {
    match scenario {
        "list" => list(c),
        "send" => send(c),
        "pop3" => pop3(c),
        "download" => download(c),
        "cold" => cold(c),
        other => Err(format!("raw-floor has no scenario '{other}'").into()),
    }
}

fn main() -> ExitCode {
    main_with(run)
}
