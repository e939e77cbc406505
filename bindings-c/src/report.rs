//! What a send did: `oauthmail_send_report`, shared by SMTP and Graph.

use std::ffi::{CString, c_char};
use std::ptr;

use oauthmail_core::{SendReport, Transport};

use crate::boundary::{c_string, ffi_value, free_handle, getter, into_handle, opt_ptr, write_out};

/// The outcome of a send: Message-ID, the server's queue id and reply, and
/// which recipients were accepted or refused. Read-only: its getters may be
/// called from any thread; strings are owned by the report.
pub struct oauthmail_send_report {
    message_id: Option<CString>,
    queue_id: Option<CString>,
    reply: CString,
    via: CString,
    accepted: Vec<CString>,
    rejected: Vec<Rejected>,
}

struct Rejected {
    address: CString,
    code: CString,
    reply: CString,
}

impl oauthmail_send_report {
    fn new(report: &SendReport) -> Self {
        oauthmail_send_report {
            message_id: report.message_id.as_deref().map(c_string),
            queue_id: report.queue_id.as_deref().map(c_string),
            reply: c_string(&report.reply),
            via: c_string(match report.via {
                Transport::Smtp => "smtp",
                Transport::Graph => "graph",
            }),
            accepted: report.accepted.iter().map(|a| c_string(a)).collect(),
            rejected: report
                .rejected
                .iter()
                .map(|r| Rejected { address: c_string(&r.address), code: c_string(&r.code), reply: c_string(&r.reply) })
                .collect(),
        }
    }
}

/// Writes a report to `out` when the caller asked for one (`out` not NULL).
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn put_report(out: *mut *mut oauthmail_send_report, report: &SendReport) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { write_out(out, into_handle(oauthmail_send_report::new(report))) };
    }
}

/// The Message-ID (with angle brackets) of a message built with
/// `oauthmail_message_*`; NULL for raw sends or a NULL report.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_message_id(report: *const oauthmail_send_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| opt_ptr(&r.message_id)) }
}

/// The server's queue id (from `250 2.0.0 Ok: queued as ...`), or NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_queue_id(report: *const oauthmail_send_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| opt_ptr(&r.queue_id)) }
}

/// The server's final reply text; NULL for a NULL report.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_reply(report: *const oauthmail_send_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.reply.as_ptr()) }
}

/// `"smtp"`, or `"graph"` when the message went through Microsoft Graph; NULL
/// for a NULL report.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_via(report: *const oauthmail_send_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.via.as_ptr()) }
}

/// How many recipients the server accepted.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_accepted_count(report: *const oauthmail_send_report) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(report, 0, |r| r.accepted.len()) }
}

/// Accepted recipient `index` (0-based); NULL when out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_accepted(
    report: *const oauthmail_send_report,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.accepted.get(index).map_or(ptr::null(), |a| a.as_ptr())) }
}

/// How many recipients the server refused while others were accepted.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_rejected_count(report: *const oauthmail_send_report) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(report, 0, |r| r.rejected.len()) }
}

/// Refused recipient `index`: its address; NULL when out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_rejected_address(
    report: *const oauthmail_send_report,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.rejected.get(index).map_or(ptr::null(), |x| x.address.as_ptr())) }
}

/// Refused recipient `index`: the enhanced status code (`"5.1.1"`); NULL when out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_rejected_code(
    report: *const oauthmail_send_report,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.rejected.get(index).map_or(ptr::null(), |x| x.code.as_ptr())) }
}

/// Refused recipient `index`: the server's reply; NULL when out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_rejected_reply(
    report: *const oauthmail_send_report,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.rejected.get(index).map_or(ptr::null(), |x| x.reply.as_ptr())) }
}

/// Frees a report. NULL is a no-op.
///
/// # Safety
/// `report` is NULL or a live report, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_send_report_free(report: *mut oauthmail_send_report) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(report) })
}
