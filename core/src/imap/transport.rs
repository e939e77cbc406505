//! A line-oriented connection over TCP or TLS, shared by IMAP and POP3.
//!
//! Both protocols are CRLF lines plus (for IMAP) counted literals, so one
//! small buffered reader serves both. The reader keeps whatever it has read
//! in its own buffer, so a read that times out (IDLE) loses nothing.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use crate::tls::TlsTrust;
use crate::{Error, ErrorKind, Result};

/// A server line may not exceed this (literals are counted separately).
const MAX_LINE: usize = 16 * 1024 * 1024;
const READ_CHUNK: usize = 64 * 1024;
/// The most a server may make us hold in memory at once (a literal read
/// into memory); larger messages must be streamed to a writer.
pub(crate) const MAX_IN_MEMORY: usize = 1 << 30;

/// Counts what a client sent, so tests and callers can see how chatty it was.
#[derive(Debug, Default)]
pub struct Stats {
    commands: AtomicU64,
    round_trips: AtomicU64,
    connections: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    /// Protocol commands sent (each pipelined command counts once).
    pub commands: u64,
    /// Times the client sent something and then waited for the server.
    pub round_trips: u64,
    /// Connections opened (the first one and every reconnect).
    pub connections: u64,
}

impl Stats {
    pub(crate) fn command(&self) {
        self.commands.fetch_add(1, Ordering::Relaxed);
    }
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            commands: self.commands.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
        }
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, BufferedTcp>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.sock.0.get_ref(),
        }
    }
}

/// The socket under TLS, read through a buffer: rustls reads at most 4 KiB at a time,
/// which made a 10,000-message listing one `recv` per 4 KiB.
struct BufferedTcp(io::BufReader<TcpStream>);

impl Read for BufferedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for BufferedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.get_mut().flush()
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

pub(crate) struct Transport {
    stream: Stream,
    host: String,
    /// Received bytes not read yet are `buf[start..end]`; `buf` past `end` is room for the next read.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    timeout: Duration,
    /// Set by a write, cleared by the next read: that read is a round trip.
    awaiting: bool,
    stats: Arc<Stats>,
}

impl Transport {
    /// Opens a TCP connection, and TLS on it when `tls` is given.
    pub(crate) fn connect(
        host: &str,
        port: u16,
        tls: Option<&TlsTrust>,
        timeout: Duration,
        stats: Arc<Stats>,
    ) -> Result<Transport> {
        let where_ = format!("{host}:{port}");
        let addrs: Vec<_> =
            (host, port).to_socket_addrs().map_err(|e| Error::io(format!("cannot resolve {where_}"), e))?.collect();
        let mut last = None;
        let mut tcp = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let tcp = match (tcp, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(Error::io(format!("cannot connect to {where_}"), e)),
            (None, None) => return Err(Error::config(format!("{host} resolves to no address"))),
        };
        tcp.set_nodelay(true).map_err(|e| Error::io("cannot configure socket", e))?;
        set_timeouts(&tcp, timeout)?;
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let mut t = Transport {
            stream: Stream::Plain(tcp),
            host: host.to_owned(),
            buf: Vec::new(),
            start: 0,
            end: 0,
            timeout,
            awaiting: false,
            stats,
        };
        if let Some(trust) = tls {
            t = t.start_tls(trust)?;
        }
        Ok(t)
    }

    /// Wraps the plain connection in TLS (after STARTTLS/STLS, or at once).
    pub(crate) fn start_tls(mut self, trust: &TlsTrust) -> Result<Transport> {
        if self.start < self.end {
            // Bytes after the STARTTLS reply would be plaintext injected before TLS.
            return Err(Error::protocol("the server sent data before the TLS handshake").with_kind(ErrorKind::Tls));
        }
        let Stream::Plain(mut tcp) = self.stream else {
            return Err(Error::internal("TLS started twice on one connection"));
        };
        let name = ServerName::try_from(self.host.clone())
            .map_err(|_| Error::config(format!("'{}' is not a valid host name for TLS", self.host)))?;
        let mut conn = ClientConnection::new(trust.client_config(), name)
            .map_err(|e| Error::new(ErrorKind::Tls, "cannot start TLS").with_source(e))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)
                .map_err(|e| Error::io(format!("TLS handshake with {} failed", self.host), e).with_hint_if_tls())?;
        }
        let tcp = BufferedTcp(io::BufReader::with_capacity(READ_CHUNK, tcp));
        self.stream = Stream::Tls(Box::new(StreamOwned::new(conn, tcp)));
        self.start = 0;
        self.end = 0;
        Ok(self)
    }

    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    pub(crate) fn write_all(&mut self, data: &[u8]) -> Result<()> {
        self.stream
            .write_all(data)
            .and_then(|()| self.stream.flush())
            .map_err(|e| Error::io(format!("cannot write to {}", self.host), e))?;
        self.awaiting = true;
        Ok(())
    }

    /// Reads more bytes into the buffer; `Ok(false)` at end of stream.
    fn fill(&mut self) -> Result<bool> {
        if self.awaiting {
            self.awaiting = false;
            self.stats.round_trips.fetch_add(1, Ordering::Relaxed);
        }
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.start > READ_CHUNK {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        // Zero-filled once when the buffer grows, not at every read.
        if self.buf.len() < self.end + READ_CHUNK {
            self.buf.resize(self.end + READ_CHUNK, 0);
        }
        match self.stream.read(&mut self.buf[self.end..]) {
            Ok(n) => {
                self.end += n;
                Ok(n > 0)
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    return Ok(false);
                }
                Err(Error::io(format!("cannot read from {}", self.host), e))
            }
        }
    }

    fn closed(&self) -> Error {
        Error::new(ErrorKind::Network, format!("{} closed the connection", self.host))
    }

    /// One line including its CRLF (a bare LF is accepted too).
    pub(crate) fn read_line(&mut self) -> Result<Vec<u8>> {
        let mut line = Vec::new();
        self.read_line_into(&mut line)?;
        Ok(line)
    }

    /// Appends one line, with its CRLF, to `out`.
    pub(crate) fn read_line_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        // Scanned bytes are counted from `start`, which `fill` may move.
        let mut scanned = 0;
        loop {
            let from = self.start + scanned;
            if let Some(i) = self.buf[from..self.end].iter().position(|&b| b == b'\n') {
                let end = from + i + 1;
                out.extend_from_slice(&self.buf[self.start..end]);
                self.start = end;
                return Ok(());
            }
            scanned = self.end - self.start;
            if scanned > MAX_LINE {
                return Err(Error::protocol(format!("{} sent a line longer than {MAX_LINE} bytes", self.host)));
            }
            if !self.fill()? {
                return Err(self.closed());
            }
        }
    }

    /// Copies exactly `n` bytes to `out`, holding at most one read chunk.
    pub(crate) fn read_exact_to(&mut self, mut n: u64, out: &mut dyn Write) -> Result<()> {
        while n > 0 {
            if self.start == self.end && !self.fill()? {
                return Err(self.closed());
            }
            let avail = (self.end - self.start).min(usize::try_from(n).unwrap_or(usize::MAX));
            out.write_all(&self.buf[self.start..self.start + avail])
                .map_err(|e| Error::io("cannot write the message to its destination", e))?;
            self.start += avail;
            n -= avail as u64;
        }
        Ok(())
    }

    pub(crate) fn read_exact_vec(&mut self, n: usize, into: &mut Vec<u8>) -> Result<()> {
        if n > MAX_IN_MEMORY {
            return Err(too_big(n));
        }
        into.reserve(n + 64); // and room for the rest of the line after an IMAP literal
        self.read_exact_to(n as u64, into)
    }

    /// Bytes received but not read yet.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Whether the server has hung up or sent something unasked, without
    /// blocking: `Ok(true)` means the connection is gone.
    pub(crate) fn peer_closed(&mut self) -> Result<bool> {
        if self.start < self.end {
            return Ok(false);
        }
        let tcp = self.stream.tcp();
        tcp.set_nonblocking(true).map_err(|e| Error::io("cannot poll socket", e))?;
        let res = self.fill_nonblocking();
        self.stream.tcp().set_nonblocking(false).map_err(|e| Error::io("cannot poll socket", e))?;
        res
    }

    fn fill_nonblocking(&mut self) -> Result<bool> {
        let awaiting = self.awaiting;
        let res = self.fill();
        self.awaiting = awaiting;
        match res {
            Ok(more) => Ok(!more),
            Err(e) if e.kind() == ErrorKind::Timeout => Ok(false), // WouldBlock: nothing pending
            Err(_) => Ok(true),
        }
    }

    /// Changes the read timeout (IDLE waits longer than a command).
    pub(crate) fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        let t = timeout.unwrap_or(self.timeout);
        self.stream
            .tcp()
            .set_read_timeout(Some(t.max(Duration::from_millis(1))))
            .map_err(|e| Error::io("cannot set socket timeout", e))
    }

    /// Sends TLS close_notify and closes; errors are irrelevant at that point.
    pub(crate) fn shutdown(mut self) {
        if let Stream::Tls(s) = &mut self.stream {
            s.conn.send_close_notify();
            let _ = s.conn.write_tls(&mut s.sock);
        }
        let _ = self.stream.tcp().shutdown(std::net::Shutdown::Both);
    }
}

pub(crate) fn too_big(n: usize) -> Error {
    Error::protocol(format!("the server announced {n} bytes, more than oauthmail holds in memory"))
        .with_hint("Stream large messages with fetch_message_to or retr_to instead.")
}

fn set_timeouts(tcp: &TcpStream, timeout: Duration) -> Result<()> {
    let t = Some(timeout.max(Duration::from_millis(1)));
    tcp.set_read_timeout(t)
        .and_then(|()| tcp.set_write_timeout(t))
        .map_err(|e| Error::io("cannot set socket timeout", e))
}

trait TlsHint {
    fn with_hint_if_tls(self) -> Self;
}

impl TlsHint for Error {
    fn with_hint_if_tls(self) -> Self {
        let text = self.message_text();
        if self.kind() != ErrorKind::Tls {
            self
        } else if text.contains("UnknownIssuer") {
            self.with_hint("The server's certificate is not signed by a trusted CA; pass the CA with ca_file.")
        } else if text.contains("NotValidForName") {
            self.with_hint("The certificate is not valid for this host name; connect by the name it was issued for.")
        } else if text.contains("InvalidContentType") || text.contains("corrupt message") {
            self.with_hint(
                "The server did not answer in TLS: for a STARTTLS port (143, 110, 587) set security 'starttls'.",
            )
        } else {
            self
        }
    }
}

/// A greeting that never came on a plain connection usually means the port
/// expects TLS from the first byte.
pub(crate) fn greeting_error(e: Error, tls: bool) -> Error {
    if e.kind() == ErrorKind::Timeout && !tls {
        e.with_hint("No greeting arrived: if this port expects TLS at once (993, 995, 465), set security 'tls'.")
    } else {
        e
    }
}
