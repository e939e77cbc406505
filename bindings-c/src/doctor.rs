//! `oauthmail_doctor_run`: the configuration check of `oauthmail doctor`.

use std::ffi::{CString, c_char};
use std::ptr;

use oauthmail_core::doctor::{DoctorOptions, Finding, Status, diagnose};

use crate::boundary::{
    c_string, ffi, ffi_value, free_handle, getter, handle, into_handle, out_arg, str_arg, str_array_arg, write_out,
};
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::imap::oauthmail_imap_client;
use crate::pop3::oauthmail_pop3_client;
use crate::smtp::oauthmail_smtp_client;

/// How one check went.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum oauthmail_doctor_status {
    Ok = 0,
    /// Works now, but will or may break.
    Warning = 1,
    Problem = 2,
    /// Not run: an earlier check failed or it does not apply.
    Skipped = 3,
}

/// One check's result; owned by its report.
pub struct oauthmail_doctor_finding {
    check: CString,
    status: oauthmail_doctor_status,
    summary: CString,
    code: Option<CString>,
    fix: Vec<CString>,
}

/// Every check's result, in order. Read-only; free with `oauthmail_doctor_report_free`.
pub struct oauthmail_doctor_report {
    findings: Vec<oauthmail_doctor_finding>,
}

fn finding(f: &Finding) -> oauthmail_doctor_finding {
    oauthmail_doctor_finding {
        check: c_string(f.check),
        status: match f.status {
            Status::Ok => oauthmail_doctor_status::Ok,
            Status::Warning => oauthmail_doctor_status::Warning,
            Status::Problem => oauthmail_doctor_status::Problem,
            Status::Skipped => oauthmail_doctor_status::Skipped,
        },
        summary: c_string(&f.summary),
        code: f.code.as_deref().map(c_string),
        fix: f.fix.iter().map(|s| c_string(s)).collect(),
    }
}

/// Checks a configuration end to end, as `oauthmail doctor` does: gets a
/// token for `scopes` (`scopes_len` entries; NULL with 0 = the credential's
/// defaults), checks its audience, roles or scopes and lifetime for
/// `mailbox`, then logs in with the settings of `smtp`, `imap` and `pop3`
/// (each may be NULL to skip it; the doctor makes its own connections).
/// Problems are findings, not errors: the call fails only on bad arguments.
/// On success `*out` receives a report to free with `oauthmail_doctor_report_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_run(
    credential: *const oauthmail_credential,
    mailbox: *const c_char,
    scopes: *const *const c_char,
    scopes_len: usize,
    smtp: *const oauthmail_smtp_client,
    imap: *const oauthmail_imap_client,
    pop3: *const oauthmail_pop3_client,
    out: *mut *mut oauthmail_doctor_report,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract; the clients are NULL or live.
        let (credential, mut options) = unsafe {
            let mut o = DoctorOptions::new(str_arg(mailbox, "mailbox")?);
            o.scopes = str_array_arg(scopes, scopes_len, "scopes")?.into_iter().map(str::to_owned).collect();
            o.smtp = smtp.as_ref().map(|c| c.inner.config().clone());
            o.imap = imap.as_ref().map(|c| c.inner.config().clone());
            (handle(credential, "credential")?, o)
        };
        // SAFETY: NULL or live per the contract.
        options.pop3 = unsafe { pop3.as_ref() }.map(|c| c.inner.config().clone());
        let findings = diagnose(credential.inner.clone(), &options).iter().map(finding).collect();
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_doctor_report { findings })) };
        Ok(())
    })
}

/// Whether no check found a problem (warnings allowed); false for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_report_ok(report: *const oauthmail_doctor_report) -> bool {
    // SAFETY: forwarded contract.
    unsafe { getter(report, false, |r| r.findings.iter().all(|f| f.status != oauthmail_doctor_status::Problem)) }
}

/// How many findings the report holds; 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_report_count(report: *const oauthmail_doctor_report) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(report, 0, |r| r.findings.len()) }
}

/// Finding `index` (0-based), owned by the report; NULL when out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_report_get(
    report: *const oauthmail_doctor_report,
    index: usize,
) -> *const oauthmail_doctor_finding {
    // SAFETY: forwarded contract.
    unsafe { getter(report, ptr::null(), |r| r.findings.get(index).map_or(ptr::null(), |f| f as *const _)) }
}

/// Frees a report and its findings. NULL is a no-op.
///
/// # Safety
/// `report` is NULL or a live report, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_report_free(report: *mut oauthmail_doctor_report) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(report) })
}

/// What was checked: `"token"`, `"audience"`, `"permissions"`, `"lifetime"`,
/// `"smtp"`, `"imap"` or `"pop3"`; NULL for NULL.
///
/// # Safety
/// `finding` is NULL or from a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_finding_check(finding: *const oauthmail_doctor_finding) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(finding, ptr::null(), |f| f.check.as_ptr()) }
}

/// How the check went; `OAUTHMAIL_DOCTOR_STATUS_SKIPPED` for NULL.
///
/// # Safety
/// `finding` is NULL or from a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_finding_status(
    finding: *const oauthmail_doctor_finding,
) -> oauthmail_doctor_status {
    // SAFETY: forwarded contract.
    unsafe { getter(finding, oauthmail_doctor_status::Skipped, |f| f.status) }
}

/// What was found, in plain words; NULL for NULL.
///
/// # Safety
/// `finding` is NULL or from a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_finding_summary(finding: *const oauthmail_doctor_finding) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(finding, ptr::null(), |f| f.summary.as_ptr()) }
}

/// The provider's code when a server refused (`"AADSTS7000215"`, `"5.7.139"`); NULL otherwise.
///
/// # Safety
/// `finding` is NULL or from a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_finding_code(finding: *const oauthmail_doctor_finding) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(finding, ptr::null(), |f| f.code.as_ref().map_or(ptr::null(), |c| c.as_ptr())) }
}

/// How many fix steps (exact commands or portal steps) the finding has.
///
/// # Safety
/// `finding` is NULL or from a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_finding_fix_count(finding: *const oauthmail_doctor_finding) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(finding, 0, |f| f.fix.len()) }
}

/// Fix step `index`; NULL when out of range.
///
/// # Safety
/// `finding` is NULL or from a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_doctor_finding_fix(
    finding: *const oauthmail_doctor_finding,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(finding, ptr::null(), |f| f.fix.get(index).map_or(ptr::null(), |s| s.as_ptr())) }
}
