//! `oauthmail_imap_client`: reading a mailbox over IMAP.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use oauthmail_core::imap::{ListOptions, SearchQuery};
use oauthmail_core::{ImapClient, ImapConfig, Result};

use crate::boundary::{
    bytes_arg, ffi, ffi_value, free_handle, handle, into_handle, opt_str_arg, out_arg, slice_arg, str_arg,
    str_array_arg, write_out,
};
use crate::buffer::fetch_into;
use crate::connection::{mail_options_arg, oauthmail_mail_options};
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::folder::{oauthmail_folder_list, oauthmail_uid_list};
use crate::summary::oauthmail_message_list;

/// An IMAP client for one mailbox. It connects on first use, reconnects once
/// after a dropped connection, and refreshes its token when the server says
/// it expired. Thread-safe: calls from several threads are serialised. The
/// UID calls (fetch, flags, move, delete) work on the folder last selected,
/// searched or listed (INBOX at first).
pub struct oauthmail_imap_client {
    pub(crate) inner: Arc<ImapClient>,
}

/// What SELECT reported about a folder.
#[repr(C)]
pub struct oauthmail_mailbox_info {
    /// Number of messages.
    pub exists: u32,
    pub uid_validity: u32,
    /// The UID the next message will get.
    pub uid_next: u32,
    pub read_only: bool,
}

/// How to list a folder. Zero-initialised means: all messages, newest first.
#[repr(C)]
pub struct oauthmail_list_options {
    /// At most this many messages (after ordering); 0 = all.
    pub limit: usize,
    /// Only messages without `\Seen`.
    pub unseen_only: bool,
    /// Oldest (lowest UID) first instead of newest first.
    pub oldest_first: bool,
}

/// Search criteria; every field zero/NULL means "any". All given criteria
/// must match. Tri-state fields: 0 = any, 1 = must have the flag, -1 = must not.
#[repr(C)]
pub struct oauthmail_search_query {
    pub seen: i8,
    pub flagged: i8,
    pub answered: i8,
    pub deleted: i8,
    /// Substring of the From header.
    pub from: *const c_char,
    /// Substring of the To header.
    pub to: *const c_char,
    /// Substring of the subject.
    pub subject: *const c_char,
    /// Substring anywhere in headers or body.
    pub text: *const c_char,
    /// Arrived on or after this day (Unix seconds); 0 = any.
    pub since_unix: i64,
    /// Arrived before this day (Unix seconds); 0 = any.
    pub before_unix: i64,
}

fn tri(v: i8) -> Option<bool> {
    match v {
        0 => None,
        v => Some(v > 0),
    }
}

fn unix(secs: i64) -> Option<SystemTime> {
    (secs > 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()))
}

/// # Safety
/// `q` is NULL or valid per `oauthmail_search_query`.
unsafe fn search_query_arg(q: *const oauthmail_search_query) -> Result<SearchQuery> {
    let mut query = SearchQuery::new();
    // SAFETY: NULL or valid per the contract.
    let Some(q) = (unsafe { q.as_ref() }) else { return Ok(query) };
    query.seen = tri(q.seen);
    query.flagged = tri(q.flagged);
    query.answered = tri(q.answered);
    query.deleted = tri(q.deleted);
    // SAFETY (all strings): NULL or NUL-terminated per the struct's documentation.
    unsafe {
        query.from = opt_str_arg(q.from, "query.from")?.map(str::to_owned);
        query.to = opt_str_arg(q.to, "query.to")?.map(str::to_owned);
        query.subject = opt_str_arg(q.subject, "query.subject")?.map(str::to_owned);
        query.text = opt_str_arg(q.text, "query.text")?.map(str::to_owned);
    }
    query.since = unix(q.since_unix);
    query.before = unix(q.before_unix);
    Ok(query)
}

/// A client for `host`:`port` that opens `username`'s mailbox (a user's or a
/// shared mailbox's address) with tokens from `credential` (which may be
/// freed afterwards). `options` NULL: defaults. No connection is made yet.
/// On success `*out` receives a handle to free with `oauthmail_imap_client_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_new(
    host: *const c_char,
    port: u16,
    username: *const c_char,
    credential: *const oauthmail_credential,
    options: *const oauthmail_mail_options,
    out: *mut *mut oauthmail_imap_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let (host, username, credential, options) = unsafe {
            (
                str_arg(host, "host")?,
                str_arg(username, "username")?,
                handle(credential, "credential")?,
                mail_options_arg(options)?,
            )
        };
        let mut config = ImapConfig::new(host, port, username);
        config.security = options.security;
        if let Some(ca) = options.ca {
            config.ca = ca;
        }
        if let Some(t) = options.timeout {
            config.timeout = t;
        }
        config.mechanism = options.mechanism;
        config.scopes = options.scopes;
        let client = ImapClient::new(config, credential.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_imap_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// The client behind a handle.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn inner<'a>(client: *const oauthmail_imap_client) -> Result<&'a ImapClient> {
    // SAFETY: forwarded contract.
    Ok(&unsafe { handle(client, "client") }?.inner)
}

/// Connects and logs in now (otherwise the first call does), to report a
/// wrong setting early.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_connect(client: *const oauthmail_imap_client) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client) }?.connect())
}

/// Every folder, with special-use roles. On success `*out` receives a list
/// to free with `oauthmail_folder_list_free`.
///
/// # Safety
/// `client` is NULL or a live client; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_list_folders(
    client: *const oauthmail_imap_client,
    out: *mut *mut oauthmail_folder_list,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let folders = unsafe { inner(client) }?.list_folders()?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_folder_list::new(&folders))) };
        Ok(())
    })
}

/// Opens `folder` read-write; the UID calls then work on it. `out_info` may
/// be NULL; else on success it receives the folder's counts.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_select(
    client: *const oauthmail_imap_client,
    folder: *const c_char,
    out_info: *mut oauthmail_mailbox_info,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        let info = unsafe { inner(client)?.select(str_arg(folder, "folder")?) }?;
        if !out_info.is_null() {
            let info = oauthmail_mailbox_info {
                exists: info.exists,
                uid_validity: info.uid_validity,
                uid_next: info.uid_next,
                read_only: info.read_only,
            };
            // SAFETY: non-NULL and writable per the contract.
            unsafe { write_out(out_info, info) };
        }
        Ok(())
    })
}

/// UIDs of the messages in `folder` matching `query` (NULL = all), ascending;
/// `folder` becomes the current folder. On success `*out` receives a list to
/// free with `oauthmail_uid_list_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_search(
    client: *const oauthmail_imap_client,
    folder: *const c_char,
    query: *const oauthmail_search_query,
    out: *mut *mut oauthmail_uid_list,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let uids = unsafe { inner(client)?.search(str_arg(folder, "folder")?, &search_query_arg(query)?) }?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_uid_list { uids })) };
        Ok(())
    })
}

/// Summaries (UID, subject, from, to, date, size, flags, ...) of the messages
/// in `folder` (`"INBOX"` when NULL), fetched in batches; `folder` becomes the
/// current folder. `options` NULL: all, newest first. On success `*out`
/// receives a list to free with `oauthmail_message_list_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_list_messages(
    client: *const oauthmail_imap_client,
    folder: *const c_char,
    options: *const oauthmail_list_options,
    out: *mut *mut oauthmail_message_list,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        let mut opts = ListOptions::default();
        // SAFETY: NULL or valid per the contract.
        if let Some(o) = unsafe { options.as_ref() } {
            opts.limit = (o.limit != 0).then_some(o.limit);
            opts.unseen_only = o.unseen_only;
            opts.newest_first = !o.oldest_first;
        }
        // SAFETY: forwarded contract.
        let list = unsafe { inner(client)?.list_messages(opt_str_arg(folder, "folder")?.unwrap_or("INBOX"), &opts) }?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_message_list::new(&list))) };
        Ok(())
    })
}

/// Fetches message `uid` of the current folder (RFC 5322 bytes) into
/// `buffer` (`capacity` bytes) and writes its length to `*out_len`. A
/// message larger than `capacity` gives a `Config` error that names the size
/// needed (`oauthmail_message_summary_size` tells it in advance); the buffer
/// contents are then unspecified and `*out_len` is untouched.
///
/// # Safety
/// `buffer` is writable for `capacity` bytes (NULL only with 0); other
/// pointers NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_fetch_message(
    client: *const oauthmail_imap_client,
    uid: u32,
    buffer: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out_len, "out_len")?;
        // SAFETY: forwarded contract.
        let imap = unsafe { inner(client) }?;
        // SAFETY: forwarded contract.
        unsafe { fetch_into(buffer, capacity, out_len, |w| imap.fetch_message_to(uid, w)) }
    })
}

/// Streams message `uid` of the current folder into the file at `path`
/// (created or truncated) without holding it in memory; a partial file is
/// removed on failure.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_fetch_message_to_file(
    client: *const oauthmail_imap_client,
    uid: u32,
    path: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.fetch_message_to_file(uid, str_arg(path, "path")?) })
}

/// Adds `flags` (`flags_len` entries: `"\\Seen"`, `"\\Flagged"`, `"$Custom"`)
/// to the `uids_len` messages in `uids` of the current folder.
///
/// # Safety
/// Arrays are valid for their lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_set_flags(
    client: *const oauthmail_imap_client,
    uids: *const u32,
    uids_len: usize,
    flags: *const *const c_char,
    flags_len: usize,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        unsafe {
            inner(client)?.set_flags(slice_arg(uids, uids_len, "uids")?, &str_array_arg(flags, flags_len, "flags")?)
        }
    })
}

/// Removes `flags` from messages, as `oauthmail_imap_client_set_flags` adds them.
///
/// # Safety
/// Arrays are valid for their lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_clear_flags(
    client: *const oauthmail_imap_client,
    uids: *const u32,
    uids_len: usize,
    flags: *const *const c_char,
    flags_len: usize,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        unsafe {
            inner(client)?.clear_flags(slice_arg(uids, uids_len, "uids")?, &str_array_arg(flags, flags_len, "flags")?)
        }
    })
}

/// Moves the `uids_len` messages in `uids` of the current folder to `dest`.
///
/// # Safety
/// Arrays are valid for their lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_move(
    client: *const oauthmail_imap_client,
    uids: *const u32,
    uids_len: usize,
    dest: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.move_messages(slice_arg(uids, uids_len, "uids")?, str_arg(dest, "dest")?) })
}

/// Copies the `uids_len` messages in `uids` of the current folder to `dest`.
///
/// # Safety
/// Arrays are valid for their lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_copy(
    client: *const oauthmail_imap_client,
    uids: *const u32,
    uids_len: usize,
    dest: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.copy(slice_arg(uids, uids_len, "uids")?, str_arg(dest, "dest")?) })
}

/// Marks messages of the current folder `\Deleted` and, with `expunge`,
/// removes them (only these UIDs where the server has UIDPLUS).
///
/// # Safety
/// `uids` is valid for `uids_len` entries; `client` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_delete(
    client: *const oauthmail_imap_client,
    uids: *const u32,
    uids_len: usize,
    expunge: bool,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.delete(slice_arg(uids, uids_len, "uids")?, expunge) })
}

/// Creates `folder`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_create_folder(
    client: *const oauthmail_imap_client,
    folder: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.create_folder(str_arg(folder, "folder")?) })
}

/// Deletes `folder` and the messages in it.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_delete_folder(
    client: *const oauthmail_imap_client,
    folder: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.delete_folder(str_arg(folder, "folder")?) })
}

/// Stores `data_len` bytes of RFC 5322 in `folder` (e.g. a copy of a sent
/// message in "Sent Items") with `flags` (`flags_len` entries, may be NULL
/// with 0). `out_uid` may be NULL; else on success it receives the new
/// message's UID, or 0 when the server does not report it (no UIDPLUS).
///
/// # Safety
/// Arrays are valid for their lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_append(
    client: *const oauthmail_imap_client,
    folder: *const c_char,
    data: *const u8,
    data_len: usize,
    flags: *const *const c_char,
    flags_len: usize,
    out_uid: *mut u32,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        let uid = unsafe {
            inner(client)?.append(
                str_arg(folder, "folder")?,
                bytes_arg(data, data_len, "data")?,
                &str_array_arg(flags, flags_len, "flags")?,
                None,
            )
        }?;
        if !out_uid.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { write_out(out_uid, uid.unwrap_or(0)) };
        }
        Ok(())
    })
}

/// Logs out. Later calls fail with a `Closed` error; calling it twice is
/// harmless. The handle must still be freed.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_close(client: *const oauthmail_imap_client) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        unsafe { inner(client) }?.close();
        Ok(())
    })
}

/// Frees a client, logging out. NULL is a no-op.
///
/// # Safety
/// `client` is NULL or a live client, freed once, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_free(client: *mut oauthmail_imap_client) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(client) })
}
