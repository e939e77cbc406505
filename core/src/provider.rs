//! Presets that bundle an identity platform with its mail hosts, ports and scopes.
//!
//! Host names: Microsoft's "Office 365 U.S. Government GCC High endpoints",
//! "Office 365 U.S. Government DoD endpoints" and "Microsoft 365 operated by
//! 21Vianet" endpoint lists, and "National cloud deployments" for Graph
//! (learn.microsoft.com); cross-checked with EmailEngine's per-cloud Outlook
//! settings (docs "Outlook OAuth2 setup": DoD IMAP and SMTP on
//! outlook-dod.office365.us, Graph dod-graph.microsoft.us) and the Exchange
//! Online PowerShell module's scope table (`https://outlook-dod.office365.us/.default`).
//! Gmail: Google's "IMAP, POP, and SMTP" help page.

use crate::authority::{self, Authority};
use crate::{Error, Result};

/// How a mail connection gets TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Security {
    /// Plain connect, then `STARTTLS` before anything else (SMTP 587, IMAP 143, POP3 110).
    StartTls,
    /// TLS from the first byte (SMTP 465, IMAP 993, POP3 995).
    Tls,
}

impl Security {
    /// The usual security for a port: implicit TLS on 465, 993 and 995, else STARTTLS.
    pub fn default_for_port(port: u16) -> Security {
        match port {
            465 | 993 | 995 => Security::Tls,
            _ => Security::StartTls,
        }
    }

    /// `starttls` or `tls` (case-insensitive; `ssl` is accepted for `tls`).
    pub fn parse(value: &str) -> Result<Security> {
        match value.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" | "implicit" => Ok(Security::Tls),
            other => Err(Error::config(format!("unknown security '{other}'")).with_hint("Use 'starttls' or 'tls'.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }
}

/// One mail server: host, port and how TLS starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl Endpoint {
    /// Security defaults from the port.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Endpoint { host: host.into(), port, security: Security::default_for_port(port) }
    }
}

/// Everything needed to reach one mail service with OAuth 2.0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub authority: Authority,
    /// The scope for SMTP, IMAP and POP3 tokens.
    pub mail_scope: String,
    /// Microsoft Graph base URL (`…/v1.0`), when the provider has Graph.
    pub graph_url: Option<String>,
    pub graph_scope: Option<String>,
    pub smtp: Endpoint,
    pub imap: Endpoint,
    pub pop3: Endpoint,
}

impl Provider {
    fn microsoft(name: &str, login: &str, outlook: &str, smtp: &str, graph: &str) -> Provider {
        Provider {
            name: name.into(),
            authority: Authority::Microsoft { base_url: login.into() },
            mail_scope: format!("https://{outlook}/.default"),
            graph_url: Some(format!("https://{graph}/v1.0")),
            graph_scope: Some(format!("https://{graph}/.default")),
            smtp: Endpoint::new(smtp, 587),
            imap: Endpoint::new(outlook, 993),
            pop3: Endpoint::new(outlook, 995),
        }
    }

    /// Exchange Online, public cloud.
    pub fn office365() -> Provider {
        Provider::microsoft(
            "office365",
            authority::MICROSOFT_PUBLIC,
            "outlook.office365.com",
            "smtp.office365.com",
            "graph.microsoft.com",
        )
    }

    /// Exchange Online for US Government GCC High.
    pub fn office365_gcc_high() -> Provider {
        Provider::microsoft(
            "office365_gcc_high",
            authority::MICROSOFT_US_GOVERNMENT,
            "outlook.office365.us",
            "smtp.office365.us",
            "graph.microsoft.us",
        )
    }

    /// Exchange Online for the US Department of Defense: the DoD endpoint
    /// list has no separate SMTP host, so submission goes to the Outlook host.
    pub fn office365_dod() -> Provider {
        Provider::microsoft(
            "office365_dod",
            authority::MICROSOFT_US_GOVERNMENT,
            "outlook-dod.office365.us",
            "outlook-dod.office365.us",
            "dod-graph.microsoft.us",
        )
    }

    /// Microsoft 365 operated by 21Vianet (China).
    pub fn office365_china() -> Provider {
        Provider::microsoft(
            "office365_china",
            authority::MICROSOFT_CHINA,
            "partner.outlook.cn",
            "smtp.partner.outlook.cn",
            "microsoftgraph.chinacloudapi.cn",
        )
    }

    /// Gmail / Google Workspace (SMTP also listens on 465 with implicit TLS).
    pub fn gmail() -> Provider {
        Provider {
            name: "gmail".into(),
            authority: Authority::Google,
            mail_scope: authority::GMAIL_SCOPE.into(),
            graph_url: None,
            graph_scope: None,
            smtp: Endpoint::new("smtp.gmail.com", 587),
            imap: Endpoint::new("imap.gmail.com", 993),
            pop3: Endpoint::new("pop.gmail.com", 995),
        }
    }

    /// Any provider: every field is the caller's.
    pub fn custom(
        authority: Authority,
        mail_scope: impl Into<String>,
        smtp: Endpoint,
        imap: Endpoint,
        pop3: Endpoint,
    ) -> Provider {
        Provider {
            name: "custom".into(),
            authority,
            mail_scope: mail_scope.into(),
            graph_url: None,
            graph_scope: None,
            smtp,
            imap,
            pop3,
        }
    }

    /// A preset by name: `office365`, `office365_gcc_high`, `office365_dod`, `office365_china`, `gmail`.
    pub fn by_name(name: &str) -> Result<Provider> {
        match name.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "office365" | "microsoft" | "outlook" => Ok(Provider::office365()),
            "office365_gcc_high" | "gcc_high" => Ok(Provider::office365_gcc_high()),
            "office365_dod" | "dod" => Ok(Provider::office365_dod()),
            "office365_china" | "china" => Ok(Provider::office365_china()),
            "gmail" | "google" => Ok(Provider::gmail()),
            other => Err(Error::config(format!("unknown provider '{other}'")).with_hint(
                "Use office365, office365_gcc_high, office365_dod, office365_china or gmail, or a custom provider.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office365_matches_microsoft_documentation() {
        let p = Provider::office365();
        assert_eq!(p.authority.token_url("t").unwrap(), "https://login.microsoftonline.com/t/oauth2/v2.0/token");
        assert_eq!(p.mail_scope, "https://outlook.office365.com/.default");
        assert_eq!(p.smtp, Endpoint { host: "smtp.office365.com".into(), port: 587, security: Security::StartTls });
        assert_eq!(p.imap, Endpoint { host: "outlook.office365.com".into(), port: 993, security: Security::Tls });
        assert_eq!(p.pop3, Endpoint { host: "outlook.office365.com".into(), port: 995, security: Security::Tls });
        assert_eq!(p.graph_url.as_deref(), Some("https://graph.microsoft.com/v1.0"));
    }

    #[test]
    fn national_clouds() {
        let g = Provider::office365_gcc_high();
        assert_eq!(g.authority, Authority::microsoft_us_government());
        assert_eq!(g.mail_scope, "https://outlook.office365.us/.default");
        assert_eq!(g.smtp.host, "smtp.office365.us");
        assert_eq!(g.graph_scope.as_deref(), Some("https://graph.microsoft.us/.default"));
        let d = Provider::office365_dod();
        assert_eq!(d.imap.host, "outlook-dod.office365.us");
        assert_eq!((d.smtp.host.as_str(), d.smtp.port), ("outlook-dod.office365.us", 587));
        assert_eq!(d.mail_scope, "https://outlook-dod.office365.us/.default");
        assert_eq!(d.graph_url.as_deref(), Some("https://dod-graph.microsoft.us/v1.0"));
        let c = Provider::office365_china();
        assert_eq!(c.authority.token_url("t").unwrap(), "https://login.chinacloudapi.cn/t/oauth2/v2.0/token");
        assert_eq!((c.smtp.host.as_str(), c.smtp.port), ("smtp.partner.outlook.cn", 587));
        assert_eq!(c.pop3.host, "partner.outlook.cn");
        // The scope the authority guesses agrees with the preset.
        for p in [Provider::office365(), g, c, Provider::gmail()] {
            assert_eq!(p.authority.default_scope(), p.mail_scope, "{}", p.name);
        }
    }

    #[test]
    fn security_from_port_and_text() {
        assert_eq!(Security::default_for_port(465), Security::Tls);
        assert_eq!(Security::default_for_port(587), Security::StartTls);
        assert_eq!(Security::default_for_port(143), Security::StartTls);
        assert_eq!(Security::parse("STARTTLS").unwrap(), Security::StartTls);
        assert_eq!(Security::parse("ssl").unwrap(), Security::Tls);
        assert!(Security::parse("none").is_err());
        assert_eq!(Provider::by_name("GCC-High").unwrap().name, "office365_gcc_high");
        assert!(Provider::by_name("yahoo").is_err());
    }
}
