//! The mail side of the configuration: which provider, which mailbox, which
//! servers, and the clients built from them.

use std::sync::Arc;

use oauthmail::graph::GraphConfig;
use oauthmail::tls::TlsTrust;
use oauthmail::{
    Endpoint, Error, GraphMailClient, ImapClient, ImapConfig, Pop3Client, Pop3Config, Provider, Result, Security,
    SmtpClient, SmtpConfig, TokenCredential,
};

use crate::settings::{CredentialArgs, MailArgs};

/// Everything a mail command needs, resolved once.
pub struct Mail {
    /// The preset with the configured hosts, ports and Graph URL applied.
    pub provider: Provider,
    user: Option<String>,
    ca: TlsTrust,
    pub credential: Arc<dyn TokenCredential>,
}

/// The preset named by `--provider` (Office 365 when none).
pub fn provider(args: &MailArgs) -> Result<Provider> {
    args.provider.as_deref().map_or_else(|| Ok(Provider::office365()), Provider::by_name)
}

/// The credential for `provider`: its identity platform unless one is given,
/// and, when the provider was named, its mail scope unless `--scope` is given
/// (the authority alone cannot tell DoD's scope from GCC High's).
pub fn credential(cred: &CredentialArgs, mail: &MailArgs, provider: &Provider) -> Result<Arc<dyn TokenCredential>> {
    let mut cred = cred.clone();
    if cred.scope.is_none() && mail.provider.is_some() {
        cred.scope = Some(provider.mail_scope.clone());
    }
    crate::credential::build(&cred, &provider.authority)
}

fn endpoint(
    preset: &Endpoint,
    host: &Option<String>,
    port: Option<u16>,
    security: &Option<String>,
) -> Result<Endpoint> {
    let host = host.clone().unwrap_or_else(|| preset.host.clone());
    let mut e = match port {
        Some(port) => Endpoint::new(host, port),
        None => Endpoint { host, ..preset.clone() },
    };
    if let Some(s) = security {
        e.security = Security::parse(s)?;
    }
    Ok(e)
}

impl Mail {
    pub fn new(mail: &MailArgs, cred: &CredentialArgs) -> Result<Mail> {
        let mut provider = provider(mail)?;
        provider.smtp = endpoint(&provider.smtp, &mail.smtp_host, mail.smtp_port, &mail.smtp_security)?;
        provider.imap = endpoint(&provider.imap, &mail.imap_host, mail.imap_port, &mail.imap_security)?;
        provider.pop3 = endpoint(&provider.pop3, &mail.pop3_host, mail.pop3_port, &mail.pop3_security)?;
        if let Some(url) = &mail.graph_url {
            provider.graph_url = Some(url.clone());
            if provider.graph_scope.is_none() {
                provider.graph_scope = Some(oauthmail::graph::GRAPH_SCOPE.into());
            }
        }
        let ca = TlsTrust::from_optional_ca_file(cred.ca_file.as_deref())?;
        let credential = credential(cred, mail, &provider)?;
        // A user's own mailbox is the default; app tokens must name one.
        let user = mail.user.clone().or_else(|| cred.username.clone()).filter(|u| !u.trim().is_empty());
        Ok(Mail { provider, user, ca, credential })
    }

    /// The mailbox to use.
    pub fn user(&self) -> Result<&str> {
        self.user.as_deref().ok_or_else(|| {
            Error::config("no mailbox given").with_hint(
                "Pass --user you@contoso.com or set OAUTHMAIL_USER (for user sign-ins AZURE_USERNAME is used).",
            )
        })
    }

    pub fn smtp_config(&self) -> Result<SmtpConfig> {
        let e = &self.provider.smtp;
        Ok(SmtpConfig {
            security: Some(e.security),
            ca: self.ca.clone(),
            ..SmtpConfig::new(&e.host, e.port, self.user()?)
        })
    }

    pub fn smtp(&self) -> Result<SmtpClient> {
        SmtpClient::new(self.smtp_config()?, self.credential.clone())
    }

    pub fn imap_config(&self) -> Result<ImapConfig> {
        let e = &self.provider.imap;
        Ok(ImapConfig {
            security: Some(e.security),
            ca: self.ca.clone(),
            ..ImapConfig::new(&e.host, e.port, self.user()?)
        })
    }

    pub fn imap(&self) -> Result<ImapClient> {
        ImapClient::new(self.imap_config()?, self.credential.clone())
    }

    pub fn pop3_config(&self) -> Result<Pop3Config> {
        let e = &self.provider.pop3;
        Ok(Pop3Config {
            security: Some(e.security),
            ca: self.ca.clone(),
            ..Pop3Config::new(&e.host, e.port, self.user()?)
        })
    }

    pub fn pop3(&self) -> Result<Pop3Client> {
        Pop3Client::new(self.pop3_config()?, self.credential.clone())
    }

    pub fn graph(&self) -> Result<GraphMailClient> {
        let (Some(base_url), Some(scope)) = (&self.provider.graph_url, &self.provider.graph_scope) else {
            return Err(Error::config(format!("the provider {} has no Microsoft Graph", self.provider.name))
                .with_hint("Use --via smtp, or set OAUTHMAIL_GRAPH_URL."));
        };
        let config = GraphConfig {
            base_url: base_url.clone(),
            scope: scope.clone(),
            ca: self.ca.clone(),
            ..GraphConfig::new(self.user()?)
        };
        GraphMailClient::new(config, self.credential.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fill_what_is_not_configured() {
        let args = MailArgs { provider: Some("gcc-high".into()), smtp_port: Some(465), ..MailArgs::default() };
        let p = provider(&args).unwrap();
        assert_eq!(p.name, "office365_gcc_high");
        let smtp = endpoint(&p.smtp, &args.smtp_host, args.smtp_port, &args.smtp_security).unwrap();
        assert_eq!(smtp, Endpoint { host: "smtp.office365.us".into(), port: 465, security: Security::Tls });
        let imap = endpoint(&p.imap, &Some("127.0.0.1".into()), None, &Some("starttls".into())).unwrap();
        assert_eq!(imap, Endpoint { host: "127.0.0.1".into(), port: 993, security: Security::StartTls });
        assert_eq!(provider(&MailArgs::default()).unwrap(), Provider::office365());
    }

    #[test]
    fn a_named_provider_sets_the_token_scope() {
        let cred = CredentialArgs {
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            ..CredentialArgs::default()
        };
        let dod = MailArgs { provider: Some("dod".into()), ..MailArgs::default() };
        let c = credential(&cred, &dod, &provider(&dod).unwrap()).unwrap();
        assert_eq!(c.default_scopes(), ["https://outlook-dod.office365.us/.default"]);
        let explicit = CredentialArgs { scope: Some("https://example.test/.default".into()), ..cred.clone() };
        let c = credential(&explicit, &dod, &provider(&dod).unwrap()).unwrap();
        assert_eq!(c.default_scopes(), ["https://example.test/.default"]);
        let none = MailArgs::default();
        let c = credential(&cred, &none, &provider(&none).unwrap()).unwrap();
        assert_eq!(c.default_scopes(), ["https://outlook.office365.com/.default"]);
    }

    #[test]
    fn bad_names_are_config_errors() {
        let err = provider(&MailArgs { provider: Some("yahoo".into()), ..MailArgs::default() }).unwrap_err();
        assert_eq!(err.kind(), oauthmail::ErrorKind::Config);
        let err = endpoint(&Provider::office365().smtp, &None, None, &Some("plain".into())).unwrap_err();
        assert_eq!(err.kind(), oauthmail::ErrorKind::Config);
    }
}
