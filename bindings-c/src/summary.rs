//! Listings: `oauthmail_message_list` of `oauthmail_message_summary` items
//! (IMAP, POP3), with count/get accessors.

use std::ffi::{CString, c_char};
use std::ptr;

use oauthmail_core::MessageSummary;

use crate::boundary::{c_string, ffi_value, free_handle, getter};

/// One listed message. Belongs to its list (never freed on its own) and lives
/// until the list is freed. Strings are UTF-8 and owned by the list.
pub struct oauthmail_message_summary {
    uid: u32,
    subject: CString,
    from: Option<CString>,
    from_address: Option<CString>,
    to: Vec<CString>,
    date: i64,
    size: u64,
    flags: Vec<CString>,
    message_id: Option<CString>,
    has_attachments: bool,
    uidl: Option<CString>,
    id: Option<CString>,
}

impl oauthmail_message_summary {
    fn new(s: &MessageSummary) -> Self {
        oauthmail_message_summary {
            uid: s.uid,
            subject: c_string(&s.subject),
            from: s.from.as_ref().map(|a| c_string(&a.to_string())),
            from_address: s.from.as_ref().map(|a| c_string(&a.address)),
            to: s.to.iter().map(|a| c_string(&a.to_string())).collect(),
            date: s.date.unwrap_or(0),
            size: s.size,
            flags: s.flags.iter().map(|f| c_string(f)).collect(),
            message_id: s.message_id.as_deref().map(c_string),
            has_attachments: s.has_attachments,
            uidl: s.uidl.as_deref().map(c_string),
            id: s.id.as_deref().map(c_string),
        }
    }
}

/// A listing. Read-only: may be read from any thread. Free it with
/// `oauthmail_message_list_free`, which also frees its summaries.
pub struct oauthmail_message_list {
    items: Vec<oauthmail_message_summary>,
}

impl oauthmail_message_list {
    pub(crate) fn new(summaries: &[MessageSummary]) -> Self {
        oauthmail_message_list { items: summaries.iter().map(oauthmail_message_summary::new).collect() }
    }
}

/// How many messages the list holds; 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_list_count(list: *const oauthmail_message_list) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(list, 0, |l| l.items.len()) }
}

/// Message `index` (0-based), owned by the list; NULL when out of range.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_list_get(
    list: *const oauthmail_message_list,
    index: usize,
) -> *const oauthmail_message_summary {
    // SAFETY: forwarded contract.
    unsafe { getter(list, ptr::null(), |l| l.items.get(index).map_or(ptr::null(), |s| s as *const _)) }
}

/// Frees a list and its summaries. NULL is a no-op.
///
/// # Safety
/// `list` is NULL or a live list, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_list_free(list: *mut oauthmail_message_list) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(list) })
}

/// IMAP UID (for the fetch, flag, move and delete calls); for POP3 the
/// message number of this session; 0 for Graph (see `oauthmail_message_summary_id`) or NULL.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_uid(summary: *const oauthmail_message_summary) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, 0, |s| s.uid) }
}

/// The subject decoded to UTF-8 (empty when there is none); NULL for NULL.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_subject(summary: *const oauthmail_message_summary) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.subject.as_ptr()) }
}

/// The sender as `"Name <address>"` (or just the address); NULL when absent.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_from(summary: *const oauthmail_message_summary) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.from.as_ref().map_or(ptr::null(), |f| f.as_ptr())) }
}

/// The sender's bare address; NULL when absent.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_from_address(
    summary: *const oauthmail_message_summary,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.from_address.as_ref().map_or(ptr::null(), |f| f.as_ptr())) }
}

/// How many To recipients the message names.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_to_count(summary: *const oauthmail_message_summary) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, 0, |s| s.to.len()) }
}

/// To recipient `index` as `"Name <address>"`; NULL when out of range.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_to(
    summary: *const oauthmail_message_summary,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.to.get(index).map_or(ptr::null(), |t| t.as_ptr())) }
}

/// The `Date` header (else the arrival time) in Unix seconds; 0 when unknown.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_date(summary: *const oauthmail_message_summary) -> i64 {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, 0, |s| s.date) }
}

/// The size in bytes as the server counts it: the buffer size that
/// `oauthmail_imap_client_fetch_message` needs.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_size(summary: *const oauthmail_message_summary) -> u64 {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, 0, |s| s.size) }
}

/// How many IMAP flags the message has (`\Seen`, keywords); 0 for POP3.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_flags_count(summary: *const oauthmail_message_summary) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, 0, |s| s.flags.len()) }
}

/// Flag `index`; NULL when out of range.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_flag(
    summary: *const oauthmail_message_summary,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.flags.get(index).map_or(ptr::null(), |f| f.as_ptr())) }
}

/// The Message-ID (with angle brackets); NULL when absent.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_message_id(
    summary: *const oauthmail_message_summary,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.message_id.as_ref().map_or(ptr::null(), |m| m.as_ptr())) }
}

/// Whether the message has attachments (IMAP: from its structure; POP3:
/// whether it is multipart/mixed).
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_has_attachments(summary: *const oauthmail_message_summary) -> bool {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, false, |s| s.has_attachments) }
}

/// POP3's unique id (UIDL), stable across sessions; NULL for IMAP.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_uidl(summary: *const oauthmail_message_summary) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.uidl.as_ref().map_or(ptr::null(), |u| u.as_ptr())) }
}

/// Microsoft Graph's message id (for the `oauthmail_graph_client_*` calls);
/// NULL for IMAP and POP3.
///
/// # Safety
/// `summary` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_summary_id(summary: *const oauthmail_message_summary) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(summary, ptr::null(), |s| s.id.as_ref().map_or(ptr::null(), |i| i.as_ptr())) }
}
