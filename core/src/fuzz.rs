//! Entry points for the fuzz targets in `fuzz/` and the corpus replay test: they reach parsers
//! that are crate-private (token replies, the POP3 and IMAP readers) with arbitrary bytes.
//! Not part of the API: names and shapes may change with the fuzz harness.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::credential::endpoint::parse_token_reply;
use crate::http::HttpResponse;
use crate::imap::transport::{Stats, Transport};
use crate::{Result, pop3};

/// A token endpoint reply with `status` and `body`, parsed as a credential would.
pub fn token_reply(status: u16, body: &[u8]) -> Result<crate::AccessToken> {
    let resp = HttpResponse { status, headers: Default::default(), body: body.to_vec() };
    parse_token_reply(&resp, "https://fuzz.invalid/token").map(|t| t.access_token(SystemTime::now()))
}

/// `server_bytes` as everything a POP3 server sends after a command with a multi-line
/// reply (status line, dot-stuffed lines, terminator); returns the unstuffed message.
///
/// The bytes travel over a loopback socket into the real reader, so buffering, line
/// limits and the end of the stream are exercised too.
pub fn pop3_multiline(server_bytes: &[u8]) -> Result<Vec<u8>> {
    let transport = loopback_transport(server_bytes)?;
    let mut out = Vec::new();
    pop3::session::read_reply_for_fuzzing(transport, &mut out)?;
    Ok(out)
}

/// `server_bytes` as IMAP untagged responses, each run through the parsers the client uses
/// (folders, STATUS, SEARCH, SELECT data, FETCH summaries).
pub fn imap_responses(server_bytes: &[u8]) {
    let mut info = crate::imap::MailboxInfo::default();
    for line in server_bytes.split_inclusive(|&b| b == b'\n') {
        let _ = crate::imap::parse::folder(line);
        let _ = crate::imap::parse::status(line);
        let _ = crate::imap::parse::search(line);
        crate::imap::parse::select_data(&mut info, line);
        let _ = crate::imap::parse::summary(line);
    }
    // A listing row with its literal is one response: the whole input as one.
    let _ = crate::imap::parse::summary(server_bytes);
}

/// A plain transport reading `server_bytes` from a one-shot loopback server.
fn loopback_transport(server_bytes: &[u8]) -> Result<Transport> {
    let io = |e| crate::Error::io("fuzz loopback", e);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io)?;
    let port = listener.local_addr().map_err(io)?.port();
    let bytes = server_bytes.to_vec();
    std::thread::spawn(move || {
        if let Ok((mut tcp, _)) = listener.accept() {
            let _ = tcp.write_all(&bytes);
            // Drain whatever the client writes, so it never blocks, until it hangs up.
            let _ = tcp.shutdown(std::net::Shutdown::Write);
            let _ = std::io::copy(&mut tcp.take(1 << 20), &mut std::io::sink());
        }
    });
    // The server thread is detached: it ends when the client closes.
    Transport::connect("127.0.0.1", port, None, Duration::from_secs(5), Arc::new(Stats::default()))
}
