//! The C ABI's string and buffer handling, driven from Rust through the exported `extern "C"`
//! functions of `bindings-c` (its rlib), by the libFuzzer target `c_abi` and, on stable, by the
//! replay test `bindings-c/tests/fuzz_corpus.rs`.
//!
//! The input is a little program: each step picks an entry point and reads its arguments from
//! the bytes that follow (strings that may be NULL, invalid UTF-8 or cut by a NUL; buffers with
//! any length that fits the input; too-small fetch buffers). Properties checked: no panic; a
//! NULL or non-UTF-8 argument is a `Config` error; an error leaves out-parameters untouched and
//! a message builder as it was (a model `Message` built with the same accepted steps must
//! validate exactly like the C one); fetched bytes are the stored ones and never overrun the
//! caller's buffer. Every handle, error and string is freed (LeakSanitizer checks when fuzzing).
//!
//! The including file names the C crate `capi` and the core crate `core_api` at its root.

use std::ffi::{CStr, c_char};
use std::net::TcpListener;
use std::ptr;
use std::sync::{Mutex, OnceLock};

use crate::capi::connection::oauthmail_mail_options;
use crate::capi::credential::{
    oauthmail_client_secret_credential_new, oauthmail_credential, oauthmail_credential_free,
    oauthmail_credential_get_token, oauthmail_credential_options, oauthmail_static_token_credential_new,
};
use crate::capi::error::{
    oauthmail_error, oauthmail_error_code, oauthmail_error_describe, oauthmail_error_free, oauthmail_error_get_kind,
    oauthmail_error_hint, oauthmail_error_kind_name, oauthmail_error_kind_to_string, oauthmail_error_message,
    oauthmail_error_retry_after_ms,
};
use crate::capi::imap::{
    oauthmail_imap_client, oauthmail_imap_client_append, oauthmail_imap_client_delete,
    oauthmail_imap_client_fetch_message, oauthmail_imap_client_new, oauthmail_imap_client_select,
};
use crate::capi::message::*;
use crate::capi::provider::{oauthmail_provider, oauthmail_provider_free, oauthmail_provider_new};
use crate::capi::report::oauthmail_send_report;
use crate::capi::smtp::{
    oauthmail_smtp_client, oauthmail_smtp_client_new, oauthmail_smtp_client_send, oauthmail_smtp_client_send_raw,
};
use crate::capi::strings::oauthmail_string_free;
use crate::capi::token::{
    oauthmail_access_token, oauthmail_access_token_claims, oauthmail_access_token_free, oauthmail_access_token_token,
    oauthmail_claims, oauthmail_claims_free,
};
use crate::core_api::{ErrorKind, Message};

const CONFIG: u32 = ErrorKind::Config as u32;
const MAILBOX: &str = oauthmail_testkit::fixture::ALICE;

/// Reads the program's arguments; every read past the end gives an empty/NULL value.
struct Input<'a>(&'a [u8]);

/// A C string argument: NULL, or bytes with a NUL appended (C sees them up to the first NUL).
struct CArg(Option<Vec<u8>>);

impl CArg {
    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(ptr::null(), |b| b.as_ptr().cast())
    }
    /// What the library should accept: the text before the first NUL, if it is UTF-8.
    fn text(&self) -> Option<&str> {
        let b = self.0.as_deref()?;
        std::str::from_utf8(&b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]).ok()
    }
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
    /// Length byte 0xFF: NULL; else that many bytes (fewer at the end of the input).
    fn c_arg(&mut self) -> CArg {
        match self.byte() {
            0xFF => CArg(None),
            n => {
                let mut v = self.take(usize::from(n)).to_vec();
                v.push(0);
                CArg(Some(v))
            }
        }
    }
    /// A binary buffer with a two-byte length, capped by what is left.
    fn bytes(&mut self) -> &'a [u8] {
        let n = usize::from(u16::from_le_bytes([self.byte(), self.byte()]));
        self.take(n)
    }
}

/// Checks every accessor of an error, its kind against `want` (when given), and frees it.
fn consume(err: *mut oauthmail_error, want: Option<u32>) -> Option<u32> {
    if err.is_null() {
        return None;
    }
    // SAFETY: a live error from the library; freed once, at the end.
    unsafe {
        let kind = oauthmail_error_get_kind(err) as u32;
        if let Some(want) = want {
            assert_eq!(kind, want, "error kind: {}", text(oauthmail_error_message(err)));
        }
        assert_ne!(kind, ErrorKind::Internal as u32, "a panic: {}", text(oauthmail_error_message(err)));
        assert_eq!(text(oauthmail_error_kind_name(err)), text(oauthmail_error_kind_to_string(kind)));
        assert!(!text(oauthmail_error_message(err)).is_empty());
        let _ = (oauthmail_error_code(err), oauthmail_error_hint(err), oauthmail_error_retry_after_ms(err));
        let line = oauthmail_error_describe(err);
        assert!(text(line).contains(&text(oauthmail_error_message(err))));
        oauthmail_string_free(line);
        oauthmail_error_free(err);
        Some(kind)
    }
}

/// The text of a NUL-terminated UTF-8 string the library returned (empty for NULL).
fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the library returns NUL-terminated strings that live as long as their owner.
    unsafe { CStr::from_ptr(p) }.to_str().expect("the library returned invalid UTF-8").to_owned()
}

/// A string setter: the C call and the same step on the model.
type Setter =
    (unsafe extern "C" fn(*mut oauthmail_message, *const c_char) -> *mut oauthmail_error, fn(Message, &str) -> Message);

const SETTERS: [Setter; 9] = [
    (oauthmail_message_set_from, |m, s| m.from(s)),
    (oauthmail_message_set_sender, |m, s| m.sender(s)),
    (oauthmail_message_add_reply_to, |m, s| m.reply_to(s)),
    (oauthmail_message_add_to, |m, s| m.to(s)),
    (oauthmail_message_add_cc, |m, s| m.cc(s)),
    (oauthmail_message_add_bcc, |m, s| m.bcc(s)),
    (oauthmail_message_set_subject, |m, s| m.subject(s)),
    (oauthmail_message_set_text, |m, s| m.text(s)),
    (oauthmail_message_set_html, |m, s| m.html(s)),
];

/// Handles that live for the whole run: pointers the library documents as thread-safe.
struct Shared {
    /// Sends to a closed loopback port: validation runs, then the connection is refused.
    smtp: *mut oauthmail_smtp_client,
    /// Reads the test kit's IMAP server (for fetches into caller buffers).
    imap: *mut oauthmail_imap_client,
    kit: oauthmail_testkit::TestKit,
}
// SAFETY: clients and credentials are thread-safe per the header; the kit is Send + Sync.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let kit = oauthmail_testkit::TestKit::start_default().expect("start the test kit");
        let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c = |s: &str| std::ffi::CString::new(s).unwrap();
        let (host, user, ca) = (c("127.0.0.1"), c(MAILBOX), c(kit.ca_path().to_str().unwrap()));
        let (authority, tls) = (c(&kit.authority()), c("tls"));
        let (tenant, app, secret) = (
            c(oauthmail_testkit::fixture::TENANT_ID),
            c(oauthmail_testkit::fixture::CONFIDENTIAL_APP_ID),
            c(oauthmail_testkit::fixture::CONFIDENTIAL_APP_SECRET),
        );
        // SAFETY: valid NUL-terminated strings, zeroed option structs (all defaults), live out-pointers.
        unsafe {
            let mut token_cred: *mut oauthmail_credential = ptr::null_mut();
            assert!(
                oauthmail_static_token_credential_new(c"fuzz-token".as_ptr(), u64::from(u32::MAX), &mut token_cred)
                    .is_null()
            );
            let mut smtp = ptr::null_mut();
            let mut opts: oauthmail_mail_options = std::mem::zeroed();
            opts.security = tls.as_ptr();
            assert!(
                oauthmail_smtp_client_new(host.as_ptr(), closed_port, user.as_ptr(), token_cred, &opts, &mut smtp)
                    .is_null()
            );
            oauthmail_credential_free(token_cred);

            let mut cred_opts: oauthmail_credential_options = std::mem::zeroed();
            cred_opts.authority = authority.as_ptr();
            cred_opts.ca_file = ca.as_ptr();
            let mut app_cred = ptr::null_mut();
            let err = oauthmail_client_secret_credential_new(
                tenant.as_ptr(),
                app.as_ptr(),
                secret.as_ptr(),
                &cred_opts,
                &mut app_cred,
            );
            assert!(err.is_null());
            opts.ca_file = ca.as_ptr();
            let mut imap = ptr::null_mut();
            let err = oauthmail_imap_client_new(
                host.as_ptr(),
                kit.imap_tls_port(),
                user.as_ptr(),
                app_cred,
                &opts,
                &mut imap,
            );
            assert!(err.is_null());
            oauthmail_credential_free(app_cred);
            assert!(oauthmail_imap_client_select(imap, c"INBOX".as_ptr(), ptr::null_mut()).is_null());
            Shared { smtp, imap, kit }
        }
    })
}

/// Runs one program. libFuzzer calls this from one thread; the lock keeps the replay test safe too.
pub fn c_abi(data: &[u8]) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut input = Input(data);
    let mut msg: *mut oauthmail_message = ptr::null_mut();
    // SAFETY: a live out-pointer.
    assert!(unsafe { oauthmail_message_new(&mut msg) }.is_null());
    let mut model = Message::new();
    for _ in 0..32 {
        if input.0.is_empty() {
            break;
        }
        let op = input.byte();
        // SAFETY (every call below): arguments are NULL or valid for their stated lengths.
        unsafe {
            // Ops from 0xF0 up misuse the call: a NULL message, data or array.
            let misuse = op >= 0xF0;
            match op % 16 {
                0..=8 => {
                    let (set, step) = SETTERS[usize::from(op % 16)];
                    let arg = input.c_arg();
                    let target = if misuse { ptr::null_mut() } else { msg };
                    let err = set(target, arg.ptr());
                    match (target.is_null(), arg.text()) {
                        (false, Some(s)) => {
                            assert!(consume(err, None).is_none(), "a valid setter argument was refused");
                            model = step(model, s);
                        }
                        _ => assert_eq!(consume(err, Some(CONFIG)), Some(CONFIG)),
                    }
                }
                9 => {
                    let (name, value) = (input.c_arg(), input.c_arg());
                    let err = oauthmail_message_add_header(msg, name.ptr(), value.ptr());
                    match (name.text(), value.text()) {
                        (Some(n), Some(v)) => {
                            assert!(consume(err, None).is_none());
                            model = model.header(n, v);
                        }
                        _ => assert_eq!(consume(err, Some(CONFIG)), Some(CONFIG)),
                    }
                }
                10 => {
                    let (name, ctype, bytes) = (input.c_arg(), input.c_arg(), input.bytes());
                    // A NULL data pointer with the length is refused unless the length is 0.
                    let data = if misuse { ptr::null() } else { bytes.as_ptr() };
                    let err = oauthmail_message_attach_bytes(msg, name.ptr(), ctype.ptr(), data, bytes.len());
                    match (name.text(), ctype.text(), !data.is_null() || bytes.is_empty()) {
                        (Some(n), Some(t), true) => {
                            assert!(consume(err, None).is_none());
                            let kept = if data.is_null() { Vec::new() } else { bytes.to_vec() };
                            model = model.attach_bytes(n, t, kept);
                        }
                        _ => assert_eq!(consume(err, Some(CONFIG)), Some(CONFIG)),
                    }
                }
                11 => send_built(msg, &model),
                12 => send_raw(&mut input, misuse),
                13 => fetch_into_buffer(&mut input),
                14 => static_token(&mut input),
                _ => provider(&mut input),
            }
        }
    }
    // SAFETY: made above, freed once.
    unsafe { oauthmail_message_free(msg) };
}

/// Sends the C message: it must validate exactly like the model (same error kind and message),
/// and a valid one reaches the closed port (`Network`). The report pointer stays untouched.
unsafe fn send_built(msg: *const oauthmail_message, model: &Message) {
    let sentinel = ptr::dangling_mut::<oauthmail_send_report>();
    let mut report = sentinel;
    // SAFETY: live handles and out-pointer.
    let err = unsafe { oauthmail_smtp_client_send(shared().smtp, msg, &mut report) };
    assert!(!err.is_null(), "a send to a closed port succeeded");
    match model.prepare() {
        // SAFETY: a live error.
        Err(e) => assert_eq!(
            (e.kind().number(), e.message_text().to_owned()),
            unsafe { (oauthmail_error_get_kind(err) as u32, text(oauthmail_error_message(err))) },
            "the C message validates differently from the same steps in Rust"
        ),
        // SAFETY: a live error.
        Ok(_) => assert_eq!(
            unsafe { oauthmail_error_get_kind(err) } as u32,
            ErrorKind::Network as u32,
            "the C message is refused, the same steps in Rust give a valid one: {}",
            text(unsafe { oauthmail_error_message(err) })
        ),
    }
    consume(err, None);
    assert_eq!(report, sentinel, "an out-parameter was written on error");
}

/// Raw sends: arguments are checked before anything is sent; `Config` for NULL/bad UTF-8.
unsafe fn send_raw(input: &mut Input, misuse: bool) {
    let from = input.c_arg();
    let rcpts: Vec<CArg> = (0..input.byte() % 4).map(|_| input.c_arg()).collect();
    let ptrs: Vec<*const c_char> = rcpts.iter().map(CArg::ptr).collect();
    let bytes = input.bytes();
    // Misuse: NULL for both arrays, with their lengths.
    let (rcpt_ptr, data) = if misuse { (ptr::null(), ptr::null()) } else { (ptrs.as_ptr(), bytes.as_ptr()) };
    let sentinel = ptr::dangling_mut::<oauthmail_send_report>();
    let mut report = sentinel;
    // SAFETY: arrays valid for their lengths; live out-pointer.
    let err = unsafe {
        oauthmail_smtp_client_send_raw(shared().smtp, from.ptr(), rcpt_ptr, ptrs.len(), data, bytes.len(), &mut report)
    };
    let args_ok = from.text().is_some()
        && rcpts.iter().all(|r| r.text().is_some())
        && (!misuse || (rcpts.is_empty() && bytes.is_empty()));
    let kind = consume(err, None).expect("a raw send to a closed port succeeded");
    if args_ok {
        assert!(kind == ErrorKind::Message as u32 || kind == ErrorKind::Network as u32, "kind {kind}");
    } else {
        assert_eq!(kind, CONFIG);
    }
    assert_eq!(report, sentinel, "an out-parameter was written on error");
}

/// Appends bytes over IMAP, fetches them into a buffer whose capacity is off by the next byte
/// (as i8), with guard bytes after it, and checks length, contents and the guard.
unsafe fn fetch_into_buffer(input: &mut Input) {
    let s = shared();
    let delta = input.byte() as i8;
    let raw = input.bytes();
    let mut uid = 0u32;
    // SAFETY: live client; `raw` valid for its length; live out-pointer.
    let err = unsafe {
        oauthmail_imap_client_append(s.imap, c"INBOX".as_ptr(), raw.as_ptr(), raw.len(), ptr::null(), 0, &mut uid)
    };
    if consume(err, None).is_some() {
        return; // the server may refuse odd bytes (an empty message); nothing was stored
    }
    let stored = s.kit.store().message(MAILBOX, "INBOX", uid).expect("the appended message is stored").raw;
    let cap = stored.len().saturating_add_signed(isize::from(delta));
    const GUARD: usize = 16;
    let mut buf = vec![0xA5u8; cap + GUARD];
    let mut out_len = usize::MAX;
    // Capacity 0 passes a NULL buffer, as C callers asking for the size do.
    let p = if cap == 0 { ptr::null_mut() } else { buf.as_mut_ptr() };
    // SAFETY: `p` writable for `cap` bytes (or NULL with 0); live out-pointer.
    let err = unsafe { oauthmail_imap_client_fetch_message(s.imap, uid, p, cap, &mut out_len) };
    assert!(buf[cap..].iter().all(|&b| b == 0xA5), "the fetch wrote past the capacity");
    if cap >= stored.len() {
        assert!(consume(err, None).is_none(), "a fetch into a large enough buffer failed");
        assert_eq!(&buf[..out_len], &stored[..], "fetched bytes differ from the stored message");
    } else {
        // SAFETY: a live error.
        let msg = text(unsafe { oauthmail_error_message(err) });
        assert!(msg.contains(&stored.len().to_string()), "the error does not name the size needed: {msg}");
        assert_eq!(consume(err, Some(CONFIG)), Some(CONFIG));
        assert_eq!(out_len, usize::MAX, "out_len was written on error");
    }
    // SAFETY: live client; one UID.
    let err = unsafe { oauthmail_imap_client_delete(s.imap, &uid, 1, true) };
    assert!(consume(err, None).is_none());
}

/// A static token from arbitrary bytes: read back unchanged; claims decode or fail with `Config`.
unsafe fn static_token(input: &mut Input) {
    let token = input.c_arg();
    let expires = u64::from(input.byte()) * 1_000_000_000;
    let scopes: Vec<CArg> = (0..input.byte() % 3).map(|_| input.c_arg()).collect();
    let scope_ptrs: Vec<*const c_char> = scopes.iter().map(CArg::ptr).collect();
    let sentinel = ptr::dangling_mut::<oauthmail_credential>();
    let mut cred = sentinel;
    // SAFETY: NULL or NUL-terminated; live out-pointer.
    let err = unsafe { oauthmail_static_token_credential_new(token.ptr(), expires, &mut cred) };
    if let Some(kind) = consume(err, None) {
        // NULL or bad UTF-8 (or an empty token): Config, out untouched.
        assert_eq!(kind, CONFIG);
        assert!(token.text().is_none_or(str::is_empty), "a valid token was refused");
        assert_eq!(cred, sentinel);
        return;
    }
    let expected = token.text().expect("a token that is not UTF-8 was accepted").to_owned();
    let mut access: *mut oauthmail_access_token = ptr::null_mut();
    // SAFETY: live credential; array valid for its length; live out-pointer.
    let err = unsafe { oauthmail_credential_get_token(cred, scope_ptrs.as_ptr(), scope_ptrs.len(), &mut access) };
    match consume(err, None) {
        Some(kind) => {
            // An expired static token (or bad scopes) is refused: never with a panic.
            assert!(access.is_null());
            if scopes.iter().any(|s| s.text().is_none()) {
                assert_eq!(kind, CONFIG);
            }
        }
        None => {
            // SAFETY: a live token.
            assert_eq!(text(unsafe { oauthmail_access_token_token(access) }), expected);
            let mut claims: *mut oauthmail_claims = ptr::null_mut();
            // SAFETY: live token and out-pointer.
            let err = unsafe { oauthmail_access_token_claims(access, &mut claims) };
            if consume(err, Some(CONFIG)).is_some() {
                assert!(claims.is_null());
            }
            // SAFETY: made above (or NULL), freed once.
            unsafe {
                oauthmail_claims_free(claims);
                oauthmail_access_token_free(access);
            }
        }
    }
    // SAFETY: made above, freed once.
    unsafe { oauthmail_credential_free(cred) };
}

/// Provider presets by an arbitrary name: known names succeed, the rest are `Config`.
unsafe fn provider(input: &mut Input) {
    let name = input.c_arg();
    let mut p: *mut oauthmail_provider = ptr::null_mut();
    // SAFETY: NULL or NUL-terminated; live out-pointer.
    let err = unsafe { oauthmail_provider_new(name.ptr(), &mut p) };
    if consume(err, Some(CONFIG)).is_some() {
        assert!(p.is_null());
    } else {
        assert!(name.text().is_some());
    }
    // SAFETY: made above (or NULL), freed once.
    unsafe { oauthmail_provider_free(p) };
}
