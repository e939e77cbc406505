//! `diagnose`: core's doctor checks (token, audience, permissions, lifetime,
//! SMTP/IMAP/POP3 logins), each finding with the exact fix.

use oauthmail::doctor::{self, DoctorOptions, Status};
use pyo3::prelude::*;

use crate::credential::TokenCredential;
use crate::errors::blocking;
use crate::imap::ImapClient;
use crate::pop3::Pop3Client;
use crate::smtp::SmtpClient;

/// One check's result: `status` is `"ok"`, `"warning"`, `"problem"` or `"skipped"`;
/// `fix` lists exact commands or portal steps.
#[pyclass(frozen, get_all, module = "oauthmail._native")]
pub struct Finding {
    /// `token`, `audience`, `permissions`, `lifetime`, `smtp`, `imap` or `pop3`.
    check: &'static str,
    status: &'static str,
    summary: String,
    code: Option<String>,
    fix: Vec<String>,
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!("Finding(check={:?}, status={:?}, summary={:?})", self.check, self.status, self.summary)
    }
}

impl From<doctor::Finding> for Finding {
    fn from(f: doctor::Finding) -> Self {
        let status = match f.status {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Problem => "problem",
            Status::Skipped => "skipped",
        };
        Finding { check: f.check, status, summary: f.summary, code: f.code, fix: f.fix }
    }
}

/// Checks that `credential` can send and read as `mailbox`, trying the
/// logins of the clients given (their settings; their connections are not
/// used). Never raises for what it finds: each problem is a `Finding`.
#[pyfunction]
#[pyo3(signature = (credential, mailbox, *, smtp=None, imap=None, pop3=None, scopes=None))]
pub fn diagnose(
    py: Python<'_>,
    credential: &TokenCredential,
    mailbox: String,
    smtp: Option<&SmtpClient>,
    imap: Option<&ImapClient>,
    pop3: Option<&Pop3Client>,
    scopes: Option<Vec<String>>,
) -> PyResult<Vec<Finding>> {
    let options = DoctorOptions {
        scopes: scopes.unwrap_or_default(),
        smtp: smtp.map(|c| c.inner.config().clone()),
        imap: imap.map(|c| c.inner.config().clone()),
        pop3: pop3.map(|c| c.inner.config().clone()),
        ..DoctorOptions::new(mailbox)
    };
    let credential = credential.inner.arc();
    let findings = blocking(py, move || Ok(doctor::diagnose(credential, &options)))?;
    Ok(findings.into_iter().map(Finding::from).collect())
}
