//! A minimal HTTP/1.1 server side: request parsing and response writing, with keep-alive.

use std::io::{self, BufRead, Read, Write};

use serde_json::Value;

const MAX_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body).into_owned().collect()
    }

    fn wants_close(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, headers: vec![("Content-Type".into(), content_type.into())], body: body.into() }
    }

    pub fn json(status: u16, value: &Value) -> Response {
        Response::new(status, "application/json; charset=utf-8", value.to_string())
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", text)
    }

    pub fn empty(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn redirect(location: &str) -> Response {
        Response::empty(302).with_header("Location", location)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let n = reader.take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.len() > MAX_LINE {
        return Err(bad("line too long"));
    }
    let text = String::from_utf8(line).map_err(|_| bad("non-UTF-8 header"))?;
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
}

/// Reads one request; `Ok(None)` when the peer closed the connection between requests.
/// Answers `Expect: 100-continue` (curl sends it for larger bodies) before reading the body.
pub(crate) fn read_request<S: Read + Write>(reader: &mut io::BufReader<S>) -> io::Result<Option<Request>> {
    let request_line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue, // tolerate stray CRLF between requests
            Some(line) => break line,
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(_version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("bad request line"));
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| bad("eof in headers"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(bad("too many headers"));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| bad("bad header"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()),
        None => (target, Vec::new()),
    };
    let mut request = Request { method: method.to_string(), path: path.to_string(), query, headers, body: Vec::new() };
    if request.header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        let stream = reader.get_mut();
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        stream.flush()?;
    }
    let chunked = request.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        request.body = read_chunked(reader)?;
    } else if let Some(len) = request.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        if len > MAX_BODY {
            return Err(bad("body too large"));
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        request.body = body;
    }
    Ok(Some(request))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| bad("eof in chunk"))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, then the final empty line.
            while !read_line(reader)?.unwrap_or_default().is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        read_line(reader)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

pub(crate) fn write_response(w: &mut impl Write, resp: &Response, close: bool) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    head.push_str("Cache-Control: no-store\r\n");
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(&resp.body)?;
    w.flush()
}

/// What a handler wants done with one request.
pub(crate) enum Outcome {
    Respond(Response),
    /// Close the connection without answering (fault injection).
    Drop,
}

/// Serves requests on one connection until the peer closes it or a handler drops it.
pub(crate) fn serve_connection<S: Read + Write>(
    stream: &mut S,
    handle: &dyn Fn(&Request) -> Outcome,
) -> io::Result<()> {
    let mut reader = io::BufReader::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        let close = request.wants_close();
        match handle(&request) {
            Outcome::Respond(resp) => write_response(reader.get_mut(), &resp, close)?,
            Outcome::Drop => return Ok(()),
        }
        if close {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection whose input is fixed and whose output is kept.
    struct Mock<'a> {
        input: &'a [u8],
        output: Vec<u8>,
    }

    impl Read for Mock<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Mock<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn parse(input: &[u8]) -> (io::Result<Option<Request>>, Vec<u8>) {
        let mut reader = io::BufReader::new(Mock { input, output: Vec::new() });
        let result = read_request(&mut reader);
        (result, reader.into_inner().output)
    }

    #[test]
    fn parses_form_post_and_chunked() {
        let raw = b"POST /t/oauth2/v2.0/token?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\na=b&c=d";
        let req = parse(raw).0.unwrap().unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/t/oauth2/v2.0/token");
        assert_eq!(req.query_param("x"), Some("1"));
        assert_eq!(req.form(), vec![("a".into(), "b".into()), ("c".into(), "d".into())]);

        let raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let req = parse(raw).0.unwrap().unwrap();
        assert_eq!(req.body, b"abcde");

        let raw = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
        let (req, output) = parse(raw);
        assert_eq!(req.unwrap().unwrap().body, b"ok");
        assert_eq!(output, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"GARBAGE\r\n\r\n").0.is_err());
        assert!(parse(b"").0.unwrap().is_none());
    }
}
