//! The native module `oauthmail._native`: Python classes over the oauthmail
//! core. It converts types, maps errors and owns handles; all mail and OAuth
//! logic is in core. Every blocking call releases the GIL (`errors::blocking`).

mod client;
mod credential;
mod doctor;
mod errors;
mod graph;
mod handle;
mod imap;
mod listing;
mod logging;
mod message;
mod pop3;
mod provider;
mod smtp;
mod summary;
#[cfg(feature = "testing")]
mod testing;
mod time;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install(m.py());
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<credential::AccessToken>()?;
    m.add_class::<credential::TokenCredential>()?;
    m.add_class::<credential::ClientSecretCredential>()?;
    m.add_class::<credential::ClientCertificateCredential>()?;
    m.add_class::<credential::UsernamePasswordCredential>()?;
    m.add_class::<credential::RefreshTokenCredential>()?;
    m.add_class::<credential::StaticTokenCredential>()?;
    m.add_class::<credential::DeviceCodeInfo>()?;
    m.add_class::<credential::DeviceCodeCredential>()?;
    m.add_class::<credential::AuthorizationRequest>()?;
    m.add_class::<credential::AuthorizationCodeCredential>()?;
    m.add_class::<provider::Endpoint>()?;
    m.add_class::<provider::Provider>()?;
    m.add_class::<message::Message>()?;
    m.add_class::<message::RejectedRecipient>()?;
    m.add_class::<message::SendReport>()?;
    m.add_class::<summary::MailAddress>()?;
    m.add_class::<summary::MessageSummary>()?;
    m.add_class::<smtp::SmtpClient>()?;
    m.add_class::<imap::Folder>()?;
    m.add_class::<imap::ImapClient>()?;
    m.add_class::<listing::MessageIterator>()?;
    m.add_class::<pop3::Pop3Client>()?;
    m.add_class::<graph::GraphMailClient>()?;
    m.add_class::<doctor::Finding>()?;
    m.add_function(wrap_pyfunction!(doctor::diagnose, m)?)?;
    #[cfg(feature = "testing")]
    {
        m.add_function(wrap_pyfunction!(testing::testing_error, m)?)?;
        m.add_function(wrap_pyfunction!(testing::testing_panic, m)?)?;
        m.add_function(wrap_pyfunction!(testing::testing_log, m)?)?;
    }
    Ok(())
}
