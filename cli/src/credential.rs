//! Builds the credential the flags, environment and profile describe.

use std::sync::Arc;

use oauthmail::{
    Authority, AuthorizationCodeCredential, ClientCertificateCredential, ClientSecretCredential, CredentialOptions,
    DeviceCodeCredential, Error, RefreshTokenCredential, Result, TokenCredential, UsernamePasswordCredential,
    tls::TlsTrust,
};

use crate::settings::CredentialArgs;

fn options(args: &CredentialArgs, provider: &Authority, user_flow: bool) -> Result<CredentialOptions> {
    let authority = match (&args.token_url, &args.authority) {
        (Some(url), _) => Authority::custom(url)?,
        (None, Some(a)) => Authority::parse(a)?,
        (None, None) => provider.clone(),
    };
    let mut options = CredentialOptions::default()
        .with_authority(authority)
        .with_tls(TlsTrust::from_optional_ca_file(args.ca_file.as_deref())?);
    if let Some(scope) = &args.scope {
        options = options.with_scopes(scope.split_whitespace());
    }
    if user_flow {
        // A CLI user should not sign in again on every run.
        if let Some(path) = oauthmail::credential::persistent::default_cache_path() {
            options = options.with_persistent_cache(path);
        }
        options.login_hint = args.username.clone();
        options.client_secret = args.client_secret.clone().map(Into::into);
    }
    Ok(options)
}

fn required<'a>(value: &'a Option<String>, flag: &str, env: &str) -> Result<&'a str> {
    value.as_deref().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        Error::config(format!("{flag} is required"))
            .with_hint(format!("Pass {flag}, set {env}, or add it to a profile in ~/.config/oauthmail/config.toml."))
    })
}

/// Picks the flow: `--flow` when given, else a certificate, a client secret,
/// or a user name and password, in that order (Azure Identity's
/// EnvironmentCredential order). `provider` is the identity platform used
/// when neither `--authority` nor `--token-url` is given.
pub fn build(args: &CredentialArgs, provider: &Authority) -> Result<Arc<dyn TokenCredential>> {
    let tenant = args.tenant_id.as_deref().unwrap_or(if args.token_url.is_some() { "" } else { "organizations" });
    let client_id = required(&args.client_id, "--client-id", "AZURE_CLIENT_ID")?;
    let flow = args.flow.as_deref().map(str::to_ascii_lowercase);
    let credential: Arc<dyn TokenCredential> = match flow.as_deref() {
        Some("device-code") => Arc::new(DeviceCodeCredential::new(
            tenant,
            client_id,
            |info| eprintln!("{}", info.message),
            options(args, provider, true)?,
        )?),
        Some("browser") => {
            let credential = AuthorizationCodeCredential::new(tenant, client_id, options(args, provider, true)?)?;
            if !credential.is_signed_in() {
                credential.run_loopback(&[], |url| {
                    eprintln!("Open this URL in a browser to sign in:\n{url}");
                })?;
            }
            Arc::new(credential)
        }
        Some("refresh-token") => {
            let token = required(&args.refresh_token, "--refresh-token", "OAUTHMAIL_REFRESH_TOKEN")?;
            Arc::new(RefreshTokenCredential::new(tenant, client_id, token, options(args, provider, true)?)?)
        }
        Some("password") => password(args, provider, tenant, client_id)?,
        Some("client-secret") => secret(args, provider, tenant, client_id)?,
        Some("certificate") => certificate(args, provider, tenant, client_id)?,
        Some(other) => {
            return Err(Error::config(format!("unknown flow '{other}'"))
                .with_hint("Use one of client-secret, certificate, password, device-code, browser, refresh-token."));
        }
        None if args.certificate.is_some() => certificate(args, provider, tenant, client_id)?,
        None if args.client_secret.is_some() => secret(args, provider, tenant, client_id)?,
        None if args.username.is_some() && args.password.is_some() => password(args, provider, tenant, client_id)?,
        None => {
            return Err(Error::config("no credential configured").with_hint(
                "Set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH for an app, AZURE_USERNAME and AZURE_PASSWORD for a user, or pass --flow device-code.",
            ));
        }
    };
    Ok(credential)
}

fn secret(
    args: &CredentialArgs,
    provider: &Authority,
    tenant: &str,
    client_id: &str,
) -> Result<Arc<dyn TokenCredential>> {
    let secret = required(&args.client_secret, "--client-secret", "AZURE_CLIENT_SECRET")?;
    Ok(Arc::new(ClientSecretCredential::new(tenant, client_id, secret, options(args, provider, false)?)?))
}

fn certificate(
    args: &CredentialArgs,
    provider: &Authority,
    tenant: &str,
    client_id: &str,
) -> Result<Arc<dyn TokenCredential>> {
    let path = args.certificate.as_deref().ok_or_else(|| Error::config("--certificate is required"))?;
    Ok(Arc::new(ClientCertificateCredential::from_files(
        tenant,
        client_id,
        path,
        None,
        options(args, provider, false)?,
    )?))
}

fn password(
    args: &CredentialArgs,
    provider: &Authority,
    tenant: &str,
    client_id: &str,
) -> Result<Arc<dyn TokenCredential>> {
    let user = required(&args.username, "--username", "AZURE_USERNAME")?;
    let password = required(&args.password, "--password", "AZURE_PASSWORD")?;
    Ok(Arc::new(UsernamePasswordCredential::new(tenant, client_id, user, password, options(args, provider, false)?)?))
}
