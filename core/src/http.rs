//! HTTPS for token endpoints (and Graph): one blocking reqwest client over our
//! rustls configuration, with timeouts, proxy settings and a retry policy.
//!
//! `reqwest::blocking` must not be called from inside a tokio runtime; the
//! bindings move calls onto their own worker threads.

use std::time::{Duration, Instant, SystemTime};

use rand::Rng as _;
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::error_chain;
use crate::tls::TlsTrust;
use crate::{Error, ErrorKind, Result};

/// Connection settings shared by every HTTP call of a credential or client.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Time allowed to open the TCP connection and finish the TLS handshake.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, from connect to the last body byte.
    pub timeout: Duration,
    /// An explicit `http://` or `https://` proxy URL. When `None`, the standard
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` variables apply.
    pub proxy: Option<String>,
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            proxy: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// When to send a request again: on 429, 500, 502, 503, 504 and on failed
/// connections, never on other 4xx. Waits grow exponentially with jitter,
/// and a server's `Retry-After` is always honoured.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 = no retries).
    pub max_attempts: u32,
    /// No retry is started once waiting for it would pass this budget,
    /// counted from the first attempt.
    pub max_elapsed: Duration,
    /// The wait before the first retry; it doubles for each further one.
    pub base_delay: Duration,
    /// The longest wait we choose ourselves (a server's `Retry-After` may be longer).
    pub max_delay: Duration,
    /// Whether repeating a request that may have reached the server is harmless.
    /// When `false` (sending mail), only replies that say the request was not
    /// processed (429, 503) and connections that never opened are retried.
    pub idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(60),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            idempotent: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// For requests that must not be repeated once the server may have acted
    /// on them, such as sending a message.
    pub fn non_idempotent() -> Self {
        RetryPolicy { idempotent: false, ..RetryPolicy::default() }
    }

    /// Whether a response with this status may succeed when sent again.
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 429 | 500 | 502 | 503 | 504)
    }

    /// Whether this policy retries a reply with `status`.
    fn retries_status(&self, status: u16) -> bool {
        if self.idempotent { RetryPolicy::is_retryable_status(status) } else { matches!(status, 429 | 503) }
    }

    /// The wait before retry number `retry` (1-based): exponential backoff
    /// with jitter in [50 %, 100 %], but never shorter than `retry_after`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        // Bounded so that the float multiplication below cannot overflow.
        let capped = exp.min(self.max_delay).min(Duration::from_secs(3600));
        let jittered = capped.mul_f64(rand::rng().random_range(0.5..=1.0));
        retry_after.map_or(jittered, |ra| ra.max(jittered))
    }
}

/// A response whose body has been read.
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpResponse {
    // The body may hold tokens, so it is never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse").field("status", &self.status).field("body_len", &self.body.len()).finish()
    }
}

impl HttpResponse {
    /// The `Retry-After` header as a duration, if present and valid.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers.get(RETRY_AFTER)?.to_str().ok().and_then(parse_retry_after)
    }
}

/// A blocking HTTPS client with our TLS trust, timeouts, proxy and retry policy.
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: Client,
    retry: RetryPolicy,
}

impl HttpClient {
    pub fn new(trust: &TlsTrust, options: &HttpOptions) -> Result<Self> {
        let mut tls = (*trust.client_config()).clone();
        // reqwest only sets ALPN on configurations it builds itself.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut builder = Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            // Credentials are posted; never let a redirect carry them elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("oauthmail/", env!("CARGO_PKG_VERSION")));
        if let Some(proxy) = options.proxy.as_deref().filter(|p| !p.is_empty()) {
            let proxy = reqwest::Proxy::all(proxy)
                .map_err(|e| Error::config("invalid proxy URL").with_source(e))?
                .no_proxy(reqwest::NoProxy::from_env());
            builder = builder.proxy(proxy);
        }
        let client = builder.build().map_err(|e| Error::config("cannot create the HTTP client").with_source(e))?;
        Ok(HttpClient { client, retry: options.retry.clone() })
    }

    pub fn inner(&self) -> &Client {
        &self.client
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends the request built by `build` (called once per attempt) and
    /// retries it according to the policy. Returns the final response, whatever
    /// its status: a retryable status is returned once the retries are spent,
    /// unless waiting for `Retry-After` would pass the time budget, which is
    /// a `Throttled` error.
    pub fn send(&self, what: &str, build: impl Fn(&Client) -> RequestBuilder) -> Result<HttpResponse> {
        let start = Instant::now();
        let mut attempt = 1;
        loop {
            let outcome = build(&self.client).send().and_then(|r| {
                let status = r.status();
                let headers = r.headers().clone();
                r.bytes().map(|b| HttpResponse { status: status.as_u16(), headers, body: b.to_vec() })
            });
            let (retry_after, failure) = match outcome {
                Ok(resp) if self.retry.retries_status(resp.status) => {
                    tracing::debug!(what, status = resp.status, attempt, "retryable HTTP status");
                    if attempt >= self.retry.max_attempts {
                        return Ok(resp);
                    }
                    let retry_after = resp.retry_after();
                    (retry_after, Failure::Status(resp))
                }
                Ok(resp) => {
                    tracing::debug!(what, status = resp.status, attempt, "HTTP response");
                    return Ok(resp);
                }
                Err(e) => {
                    // A request that may have been sent is repeated only when that is harmless.
                    let may_repeat = self.retry.idempotent || e.is_connect();
                    let err = map_reqwest_error(what, e);
                    tracing::debug!(what, attempt, error = %err, "HTTP request failed");
                    if err.kind() != ErrorKind::Network || !may_repeat || attempt >= self.retry.max_attempts {
                        return Err(err);
                    }
                    (None, Failure::Transport(err))
                }
            };
            let delay = self.retry.delay(attempt, retry_after);
            if start.elapsed().saturating_add(delay) > self.retry.max_elapsed {
                return match failure {
                    Failure::Status(resp) if resp.status == StatusCode::TOO_MANY_REQUESTS.as_u16() => {
                        Err(throttled(what, retry_after.unwrap_or(delay)))
                    }
                    Failure::Status(resp) => Ok(resp),
                    Failure::Transport(err) => Err(err),
                };
            }
            tracing::debug!(what, attempt, delay_ms = delay.as_millis() as u64, "retrying");
            std::thread::sleep(delay);
            attempt += 1;
        }
    }
}

/// Why an attempt may be retried.
enum Failure {
    /// A 429 or 5xx reply.
    Status(HttpResponse),
    /// The connection failed or was dropped.
    Transport(Error),
}

fn throttled(what: &str, retry_after: Duration) -> Error {
    Error::new(ErrorKind::Throttled, format!("{what}: the server is throttling requests (HTTP 429)"))
        .with_retry_after(retry_after)
        .with_hint("Wait for the time given by Retry-After, and cache tokens instead of requesting one per operation.")
}

/// Maps a reqwest error by what went wrong, looking through the whole chain.
pub fn map_reqwest_error(what: &str, e: reqwest::Error) -> Error {
    let chain = error_chain(&e);
    let is_tls = std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |err| err.source())
        .any(|err| err.is::<rustls::Error>())
        || chain.contains("certificate");
    let (kind, hint) = if e.is_timeout() {
        (ErrorKind::Timeout, "The server did not answer in time; check the network or raise the timeout.")
    } else if is_tls {
        (
            ErrorKind::Tls,
            "The server's certificate is not trusted; pass the issuing CA with ca_file if it is a private CA.",
        )
    } else if e.is_builder() {
        (ErrorKind::Config, "Check the URL.")
    } else {
        (ErrorKind::Network, "Check the host name, port, proxy settings and firewall.")
    };
    // The URL of a token request carries no secret (they go in the body).
    Error::new(kind, format!("{what} failed")).with_hint(hint).with_source(e)
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 10.2.3).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate, e.g. `Wed, 21 Oct 2015 07:28:00 GMT` (the form servers must send).
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let rest = s.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u32 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == month_name)? as u32
        + 1;
    let year: i64 = parts.next()?.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + sec;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480))
        );
        // A date in the past means "now".
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:01 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-3"), None);
        // Absurd values from a server must not overflow.
        assert_eq!(parse_retry_after("Wed, 21 Oct 99999999999999999 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("18446744073709551615"), Some(Duration::from_secs(u64::MAX)));
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d1 = p.delay(1, None);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d3 = p.delay(3, None);
            assert!(d3 >= Duration::from_millis(175) && d3 <= Duration::from_millis(350), "{d3:?}");
            assert!(p.delay(40, None) <= Duration::from_millis(350));
            assert_eq!(p.delay(1, Some(Duration::from_secs(5))), Duration::from_secs(5));
            let huge = RetryPolicy { max_delay: Duration::MAX, base_delay: Duration::MAX, ..RetryPolicy::default() };
            assert!(huge.delay(30, None) <= Duration::from_secs(3600));
        }
    }

    #[test]
    fn only_throttling_and_server_errors_are_retryable() {
        for s in [429, 500, 502, 503, 504] {
            assert!(RetryPolicy::is_retryable_status(s));
        }
        for s in [200, 400, 401, 403, 404, 501] {
            assert!(!RetryPolicy::is_retryable_status(s));
        }
    }

    #[test]
    fn non_idempotent_requests_retry_only_what_was_not_processed() {
        let p = RetryPolicy::non_idempotent();
        assert!(p.retries_status(429) && p.retries_status(503));
        assert!(!p.retries_status(500) && !p.retries_status(502) && !p.retries_status(504));
        assert!(RetryPolicy::default().retries_status(500));
    }
}
