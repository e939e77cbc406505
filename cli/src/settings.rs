//! Where the CLI's configuration comes from: flags, then environment variables
//! (Azure Identity's names plus `OAUTHMAIL_*`), then a profile in
//! `~/.config/oauthmail/config.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

/// Options shared by every command that needs a credential.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Credential")]
pub struct CredentialArgs {
    /// Profile in ~/.config/oauthmail/config.toml (section [profiles.NAME]).
    #[arg(long, env = "OAUTHMAIL_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Config file to read profiles from.
    #[arg(long, env = "OAUTHMAIL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Directory (tenant) id or domain; `common`/`organizations` for user flows.
    #[arg(long, env = "AZURE_TENANT_ID", global = true)]
    pub tenant_id: Option<String>,
    /// Application (client) id.
    #[arg(long, env = "AZURE_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// Client secret (prefer the AZURE_CLIENT_SECRET variable: flags show in `ps`).
    #[arg(long, env = "AZURE_CLIENT_SECRET", hide_env_values = true, global = true)]
    pub client_secret: Option<String>,
    /// PEM file with the app's certificate and private key.
    #[arg(long, env = "AZURE_CLIENT_CERTIFICATE_PATH", global = true)]
    pub certificate: Option<PathBuf>,
    /// User name for the password flow.
    #[arg(long, env = "AZURE_USERNAME", global = true)]
    pub username: Option<String>,
    /// Password for the password flow (prefer the AZURE_PASSWORD variable).
    #[arg(long, env = "AZURE_PASSWORD", hide_env_values = true, global = true)]
    pub password: Option<String>,
    /// Identity platform base URL (default https://login.microsoftonline.com).
    #[arg(long, env = "AZURE_AUTHORITY_HOST", global = true)]
    pub authority: Option<String>,
    /// A full token endpoint URL, for non-Microsoft providers.
    #[arg(long, env = "OAUTHMAIL_TOKEN_URL", global = true)]
    pub token_url: Option<String>,
    /// Scope to request (default: the provider's mail scope).
    #[arg(long, env = "OAUTHMAIL_SCOPE", global = true)]
    pub scope: Option<String>,
    /// Extra trusted CA certificates (PEM).
    #[arg(long, env = "OAUTHMAIL_CA_FILE", global = true)]
    pub ca_file: Option<PathBuf>,
    /// Interactive flow for a user: device-code, browser or refresh-token.
    #[arg(long, env = "OAUTHMAIL_FLOW", global = true)]
    pub flow: Option<String>,
    /// Refresh token for `--flow refresh-token` (prefer the variable).
    #[arg(long, env = "OAUTHMAIL_REFRESH_TOKEN", hide_env_values = true, global = true)]
    pub refresh_token: Option<String>,
}

/// Where the mail is: the mailbox and the servers. Unset hosts and ports come
/// from the provider preset (Office 365 by default).
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Mailbox and servers")]
pub struct MailArgs {
    /// Mail service preset: office365, gcc-high, dod, china or gmail.
    #[arg(long, env = "OAUTHMAIL_PROVIDER", global = true)]
    pub provider: Option<String>,
    /// The mailbox to send as or read (for app tokens; user flows default to the user name).
    #[arg(long, env = "OAUTHMAIL_USER", global = true)]
    pub user: Option<String>,
    #[arg(long, env = "OAUTHMAIL_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    #[arg(long, env = "OAUTHMAIL_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    /// starttls or tls (default from the port: tls on 465).
    #[arg(long, env = "OAUTHMAIL_SMTP_SECURITY", global = true)]
    pub smtp_security: Option<String>,
    #[arg(long, env = "OAUTHMAIL_IMAP_HOST", global = true)]
    pub imap_host: Option<String>,
    #[arg(long, env = "OAUTHMAIL_IMAP_PORT", global = true)]
    pub imap_port: Option<u16>,
    /// starttls or tls (default from the port: tls on 993).
    #[arg(long, env = "OAUTHMAIL_IMAP_SECURITY", global = true)]
    pub imap_security: Option<String>,
    #[arg(long, env = "OAUTHMAIL_POP3_HOST", global = true)]
    pub pop3_host: Option<String>,
    #[arg(long, env = "OAUTHMAIL_POP3_PORT", global = true)]
    pub pop3_port: Option<u16>,
    /// starttls or tls (default from the port: tls on 995).
    #[arg(long, env = "OAUTHMAIL_POP3_SECURITY", global = true)]
    pub pop3_security: Option<String>,
    /// Microsoft Graph base URL including the version (`https://graph.microsoft.com/v1.0`).
    #[arg(long, env = "OAUTHMAIL_GRAPH_URL", global = true)]
    pub graph_url: Option<String>,
}

/// One profile of the config file; every field mirrors a flag.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub certificate: Option<PathBuf>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub authority: Option<String>,
    pub token_url: Option<String>,
    pub scope: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub flow: Option<String>,
    pub provider: Option<String>,
    pub user: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_security: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<u16>,
    pub imap_security: Option<String>,
    pub pop3_host: Option<String>,
    pub pop3_port: Option<u16>,
    pub pop3_security: Option<String>,
    pub graph_url: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("oauthmail").join("config.toml"))
}

/// Loads the profile named by `--profile` (or the file's `default_profile`).
/// A missing default file is fine; a missing named profile or a bad file is an error.
pub fn load_profile(args: &CredentialArgs) -> Result<Profile, oauthmail::Error> {
    let explicit = args.config.is_some();
    let Some(path) = args.config.clone().or_else(default_config_path) else {
        return Ok(Profile::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit && args.profile.is_none() => {
            return Ok(Profile::default());
        }
        Err(e) => {
            return Err(oauthmail::Error::config(format!("cannot read config file {}", path.display())).with_source(e));
        }
    };
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|e| oauthmail::Error::config(format!("invalid config file {}: {}", path.display(), e.message())))?;
    let name = args.profile.clone().or(file.default_profile);
    match name {
        None => Ok(Profile::default()),
        Some(name) => file.profiles.get(&name).cloned().ok_or_else(|| {
            oauthmail::Error::config(format!("no profile [profiles.{name}] in {}", path.display()))
                .with_hint("Add the section, or pick another profile with --profile.")
        }),
    }
}

fn or<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
    if a.is_none() {
        a.clone_from(b);
    }
}

impl MailArgs {
    /// Flags and environment first, then the profile.
    pub fn merged(mut self, p: &Profile) -> Self {
        or(&mut self.provider, &p.provider);
        or(&mut self.user, &p.user);
        or(&mut self.smtp_host, &p.smtp_host);
        or(&mut self.smtp_port, &p.smtp_port);
        or(&mut self.smtp_security, &p.smtp_security);
        or(&mut self.imap_host, &p.imap_host);
        or(&mut self.imap_port, &p.imap_port);
        or(&mut self.imap_security, &p.imap_security);
        or(&mut self.pop3_host, &p.pop3_host);
        or(&mut self.pop3_port, &p.pop3_port);
        or(&mut self.pop3_security, &p.pop3_security);
        or(&mut self.graph_url, &p.graph_url);
        self
    }
}

impl CredentialArgs {
    /// Flags and environment first, then the profile.
    pub fn merged(mut self, p: &Profile) -> Self {
        or(&mut self.tenant_id, &p.tenant_id);
        or(&mut self.client_id, &p.client_id);
        or(&mut self.client_secret, &p.client_secret);
        or(&mut self.certificate, &p.certificate);
        or(&mut self.username, &p.username);
        or(&mut self.password, &p.password);
        or(&mut self.authority, &p.authority);
        or(&mut self.token_url, &p.token_url);
        or(&mut self.scope, &p.scope);
        or(&mut self.ca_file, &p.ca_file);
        or(&mut self.flow, &p.flow);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_profile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "default_profile = \"work\"\n[profiles.work]\ntenant_id = \"from-file\"\nclient_id = \"file-client\"\n",
        )
        .unwrap();
        let args = CredentialArgs { config: Some(path), tenant_id: Some("from-flag".into()), ..Default::default() };
        let profile = load_profile(&args).unwrap();
        let merged = args.merged(&profile);
        assert_eq!(merged.tenant_id.as_deref(), Some("from-flag"));
        assert_eq!(merged.client_id.as_deref(), Some("file-client"));
    }

    #[test]
    fn mail_settings_come_from_the_profile_unless_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[profiles.w]\nuser = \"box@contoso.com\"\nprovider = \"china\"\nsmtp_port = 2525\nimap_host = \"imap.test\"\n",
        )
        .unwrap();
        let args = CredentialArgs { config: Some(path), profile: Some("w".into()), ..Default::default() };
        let profile = load_profile(&args).unwrap();
        let mail = MailArgs { smtp_port: Some(587), ..Default::default() }.merged(&profile);
        assert_eq!(mail.user.as_deref(), Some("box@contoso.com"));
        assert_eq!(mail.provider.as_deref(), Some("china"));
        assert_eq!(mail.smtp_port, Some(587));
        assert_eq!(mail.imap_host.as_deref(), Some("imap.test"));
    }

    #[test]
    fn unknown_profile_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[profiles.a]\n").unwrap();
        let args = CredentialArgs { config: Some(path), profile: Some("b".into()), ..Default::default() };
        let err = load_profile(&args).unwrap_err();
        assert_eq!(err.kind(), oauthmail::ErrorKind::Config);
    }
}
