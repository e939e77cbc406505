//! Checks a mail configuration end to end and explains every problem in
//! plain words with the exact Entra ID / Exchange Online command that fixes
//! it: token acquisition, audience, roles or scopes, token lifetime, SMTP
//! login, IMAP login and opening the inbox.
//!
//! The commands follow Microsoft's "Authenticate an IMAP, POP or SMTP
//! connection using OAuth" (service principal registration and mailbox
//! permission) and "Enable or disable SMTP AUTH in Exchange Online".
//! For app-only tokens the `oid` claim is the service principal's object id,
//! which is what `New-ServicePrincipal -ObjectId` and `-User` want.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::{
    AccessToken, Claims, Error, ErrorKind, ImapClient, ImapConfig, Pop3Client, Pop3Config, SmtpClient, SmtpConfig,
    TokenCredential,
};

/// How a check went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works now, but will or may break (short lifetime, POP role missing).
    Warning,
    Problem,
    /// Not run, because an earlier check failed or it does not apply.
    Skipped,
}

/// One check's result: what was checked, what was found, how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `token`, `audience`, `permissions`, `lifetime`, `smtp`, `imap` or `pop3`.
    pub check: &'static str,
    pub status: Status,
    /// What was found, in plain words.
    pub summary: String,
    /// The provider's code when a server refused (`AADSTS7000215`, `5.7.139`).
    pub code: Option<String>,
    /// What to do: exact commands or portal steps, one per entry.
    pub fix: Vec<String>,
}

impl Finding {
    fn new(check: &'static str, status: Status, summary: impl Into<String>) -> Finding {
        Finding { check, status, summary: summary.into(), code: None, fix: Vec::new() }
    }
    fn fix(mut self, step: impl Into<String>) -> Finding {
        self.fix.push(step.into());
        self
    }
}

/// What to check.
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// The mailbox the application sends as and reads.
    pub mailbox: String,
    /// Token scopes; empty means the credential's defaults.
    pub scopes: Vec<String>,
    /// SMTP login to try, if any.
    pub smtp: Option<SmtpConfig>,
    /// IMAP login and SELECT INBOX to try, if any.
    pub imap: Option<ImapConfig>,
    /// POP3 login and STAT to try, if any (its permission is then required, not just advised).
    pub pop3: Option<Pop3Config>,
}

impl DoctorOptions {
    pub fn new(mailbox: impl Into<String>) -> DoctorOptions {
        DoctorOptions { mailbox: mailbox.into(), scopes: Vec::new(), smtp: None, imap: None, pop3: None }
    }
}

/// Exchange Online's resource, by URL or by its well-known application id.
const EXCHANGE_AUDIENCES: [&str; 3] =
    ["https://outlook.office365.com", "https://outlook.office.com", "00000002-0000-0ff1-ce00-000000000000"];
const GRAPH_AUDIENCES: [&str; 2] = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"];
/// Tokens this close to expiry are flagged: a long batch may outlive them.
const SHORT_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Runs every check in order; never fails (each failure is a finding).
pub fn diagnose(credential: Arc<dyn TokenCredential>, options: &DoctorOptions) -> Vec<Finding> {
    let scopes: Vec<&str> = options.scopes.iter().map(String::as_str).collect();
    let mut findings = Vec::new();
    let token = match credential.get_token(&scopes) {
        Ok(t) => t,
        Err(e) => {
            findings.push(token_failure(&e));
            for check in ["audience", "permissions", "lifetime", "smtp", "imap", "pop3"] {
                findings.push(Finding::new(check, Status::Skipped, "not checked: there is no token"));
            }
            return findings;
        }
    };
    findings.push(Finding::new("token", Status::Ok, "got an access token"));
    let expected = expected_audience(&options.scopes, &credential.default_scopes());
    findings.extend(check_token(&token, &options.mailbox, &expected, options));

    let ids = Ids::from_token(&token, &options.mailbox);
    findings.push(match &options.smtp {
        None => Finding::new("smtp", Status::Skipped, "SMTP not configured"),
        Some(config) => {
            let endpoint = format!("{}:{}", config.host, config.port);
            match SmtpClient::new(config.clone(), credential.clone()).and_then(|c| c.connect().map(|()| c)) {
                Ok(client) => {
                    client.close();
                    Finding::new("smtp", Status::Ok, format!("logged in to SMTP at {endpoint} as {}", config.username))
                }
                Err(e) => server_failure("smtp", &format!("SMTP login at {endpoint} failed"), &e, &ids),
            }
        }
    });
    findings.push(match &options.imap {
        None => Finding::new("imap", Status::Skipped, "IMAP not configured"),
        Some(config) => {
            let endpoint = format!("{}:{}", config.host, config.port);
            let result = ImapClient::new(config.clone(), credential.clone()).and_then(|c| {
                let info = c.select("INBOX")?;
                c.close();
                Ok(info)
            });
            match result {
                Ok(info) => Finding::new(
                    "imap",
                    Status::Ok,
                    format!("logged in to IMAP at {endpoint} and opened INBOX ({} messages)", info.exists),
                ),
                Err(e) => server_failure("imap", &format!("IMAP at {endpoint} failed"), &e, &ids),
            }
        }
    });
    findings.push(match &options.pop3 {
        None => Finding::new("pop3", Status::Skipped, "POP3 not configured"),
        Some(config) => {
            let endpoint = format!("{}:{}", config.host, config.port);
            let result = Pop3Client::new(config.clone(), credential.clone()).and_then(|c| {
                let stat = c.stat()?;
                c.close()?;
                Ok(stat)
            });
            match result {
                Ok((count, _)) => Finding::new(
                    "pop3",
                    Status::Ok,
                    format!("logged in to POP3 at {endpoint} ({count} messages in the maildrop)"),
                ),
                Err(e) => server_failure("pop3", &format!("POP3 at {endpoint} failed"), &e, &ids),
            }
        }
    });
    findings
}

/// The audience a token for these scopes should carry (`https://outlook.office365.com`).
fn expected_audience(requested: &[String], defaults: &[String]) -> String {
    let scope = requested.first().or(defaults.first()).map(String::as_str).unwrap_or(crate::authority::OFFICE365_SCOPE);
    match scope.rsplit_once('/') {
        Some((resource, _)) if scope.starts_with("https://") && resource.len() > "https://".len() => {
            resource.to_owned()
        }
        _ => scope.to_owned(),
    }
}

/// Names used in the fix commands, filled from the token where it says them.
struct Ids {
    mailbox: String,
    app_id: String,
    sp_object_id: String,
}

impl Ids {
    fn from_token(token: &AccessToken, mailbox: &str) -> Ids {
        let claims = token.claims().ok();
        let app_only = claims.as_ref().is_some_and(|c| c.scp.is_none());
        Ids {
            mailbox: mailbox.to_owned(),
            app_id: claims
                .as_ref()
                .and_then(|c| c.app_id().map(str::to_owned))
                .unwrap_or_else(|| "<application id>".into()),
            sp_object_id: claims
                .as_ref()
                .filter(|_| app_only)
                .and_then(|c| c.oid.clone())
                .unwrap_or_else(|| "<service principal object id>".into()),
        }
    }

    fn register_sp(&self) -> String {
        format!("New-ServicePrincipal -AppId {} -ObjectId {}", self.app_id, self.sp_object_id)
    }
    fn full_access(&self) -> String {
        format!("Add-MailboxPermission -Identity {} -User {} -AccessRights FullAccess", self.mailbox, self.sp_object_id)
    }
    fn smtp_auth(&self) -> String {
        format!("Set-CASMailbox -Identity {} -SmtpClientAuthenticationDisabled $false", self.mailbox)
    }
}

/// The audience, permission and lifetime checks of one token (no network).
pub fn check_token(
    token: &AccessToken,
    mailbox: &str,
    expected_audience: &str,
    options: &DoctorOptions,
) -> Vec<Finding> {
    let claims = match token.claims() {
        Ok(c) => c,
        Err(_) => {
            let note = "the token is opaque (not a JWT), so its audience and permissions cannot be read; \
                        the server logins below test it";
            return vec![
                Finding::new("audience", Status::Skipped, note),
                Finding::new("permissions", Status::Skipped, note),
                lifetime(token),
            ];
        }
    };
    let ids = Ids::from_token(token, mailbox);
    vec![audience(&claims, expected_audience), permissions(&claims, &ids, options), lifetime(token)]
}

fn audience(claims: &Claims, expected: &str) -> Finding {
    let Some(aud) = claims.aud.as_deref() else {
        return Finding::new("audience", Status::Problem, "the token has no audience (aud) claim");
    };
    let wants_exchange = EXCHANGE_AUDIENCES.contains(&expected);
    let matches = aud.trim_end_matches('/').eq_ignore_ascii_case(expected)
        || (wants_exchange && EXCHANGE_AUDIENCES.iter().any(|a| a.eq_ignore_ascii_case(aud.trim_end_matches('/'))));
    if matches {
        return Finding::new("audience", Status::Ok, format!("audience is {aud}"));
    }
    let mut f = Finding::new(
        "audience",
        Status::Problem,
        format!("the token is for {aud}, but the mail servers expect {expected}; they will refuse it"),
    );
    if GRAPH_AUDIENCES.contains(&aud) {
        f = f.fix("A Microsoft Graph token does not work for SMTP, IMAP or POP. Request the scope https://outlook.office365.com/.default (remove --scope / OAUTHMAIL_SCOPE).");
    } else {
        f = f.fix(format!("Request the scope {expected}/.default (check --scope / OAUTHMAIL_SCOPE)."));
    }
    f
}

/// App tokens need roles; user tokens need delegated scopes and the user's own mailbox.
fn permissions(claims: &Claims, ids: &Ids, options: &DoctorOptions) -> Finding {
    let smtp = options.smtp.is_some();
    let imap = options.imap.is_some();
    let pop3 = options.pop3.is_some();
    if claims.scp.is_some() {
        return delegated(claims, ids, smtp, imap, pop3);
    }
    let mut needed: Vec<&str> = Vec::new();
    let mut advised: Vec<&str> = Vec::new();
    for (role, used) in [("SMTP.SendAsApp", smtp), ("IMAP.AccessAsApp", imap), ("POP.AccessAsApp", pop3)] {
        if !claims.roles.iter().any(|r| r == role) {
            if used { needed.push(role) } else { advised.push(role) }
        }
    }
    let have =
        if claims.roles.is_empty() { "no roles".to_owned() } else { format!("roles {}", claims.roles.join(", ")) };
    if needed.is_empty() && advised.is_empty() {
        return Finding::new("permissions", Status::Ok, format!("app token with {have}"));
    }
    let (status, missing) = if needed.is_empty() { (Status::Warning, &advised) } else { (Status::Problem, &needed) };
    let missing_all: Vec<&str> = needed.iter().chain(&advised).copied().collect();
    let mut summary = format!("the app token has {have}; it lacks {}", missing.join(", "));
    if status == Status::Warning {
        summary.push_str(" (needed only for that protocol)");
    }
    Finding::new("permissions", status, summary)
        .fix(format!(
            "Entra admin center > App registrations > {} > API permissions > Add a permission > APIs my organization uses > Office 365 Exchange Online > Application permissions: add {}, then Grant admin consent.",
            ids.app_id,
            missing_all.join(", ")
        ))
        .fix(format!("Exchange Online PowerShell (once per app): {}", ids.register_sp()))
        .fix(format!("Exchange Online PowerShell (per mailbox): {}", ids.full_access()))
}

fn delegated(claims: &Claims, ids: &Ids, smtp: bool, imap: bool, pop3: bool) -> Finding {
    let scopes = claims.scopes();
    let has = |name: &str| scopes.iter().any(|s| s.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = [("SMTP.Send", smtp), ("IMAP.AccessAsUser.All", imap), ("POP.AccessAsUser.All", pop3)]
        .into_iter()
        .filter(|&(s, used)| used && !has(s))
        .map(|(s, _)| s)
        .collect();
    let user = claims.upn.as_deref().or(claims.preferred_username.as_deref()).unwrap_or("");
    if !missing.is_empty() {
        return Finding::new(
            "permissions",
            Status::Problem,
            format!("the user token has scopes '{}'; it lacks {}", claims.scp.as_deref().unwrap_or(""), missing.join(", ")),
        )
        .fix(format!(
            "Entra admin center > App registrations > {} > API permissions > Add a permission > APIs my organization uses > Office 365 Exchange Online > Delegated permissions: add {}, grant consent, then sign in again.",
            ids.app_id,
            missing.join(", ")
        ));
    }
    if !user.is_empty() && !user.eq_ignore_ascii_case(&ids.mailbox) {
        return Finding::new(
            "permissions",
            Status::Warning,
            format!("the token belongs to {user} but the mailbox is {}; that works only for a shared mailbox {user} has access to", ids.mailbox),
        )
        .fix(format!("Add-MailboxPermission -Identity {} -User {user} -AccessRights FullAccess", ids.mailbox));
    }
    Finding::new("permissions", Status::Ok, format!("user token for {user} with scopes {}", scopes.join(" ")))
}

fn lifetime(token: &AccessToken) -> Finding {
    let left = token.remaining();
    if left.is_zero() {
        return Finding::new("lifetime", Status::Problem, "the token has already expired")
            .fix("Check this machine's clock; a token cache returning expired tokens is a bug.");
    }
    let minutes = left.as_secs() / 60;
    if left < SHORT_LIFETIME {
        return Finding::new("lifetime", Status::Warning, format!("the token expires in {} s", left.as_secs()))
            .fix("Tokens are refreshed automatically; a very short lifetime may come from a Conditional Access token lifetime policy.");
    }
    Finding::new("lifetime", Status::Ok, format!("the token is valid for {minutes} more minutes"))
}

fn token_failure(e: &Error) -> Finding {
    let mut f = Finding::new("token", Status::Problem, format!("no token: {}", e.message_text()));
    f.code = e.code().map(str::to_owned);
    if let Some(hint) = e.hint() {
        f = f.fix(hint);
    }
    f
}

/// A refused login or SELECT, with the Exchange commands for its cause.
fn server_failure(check: &'static str, what: &str, e: &Error, ids: &Ids) -> Finding {
    let mut f = Finding::new(check, Status::Problem, format!("{what}: {}", e.message_text()));
    f.code = e.code().map(str::to_owned);
    if let Some(hint) = e.hint() {
        f = f.fix(hint);
    }
    match (check, e.code(), e.kind()) {
        (_, Some("5.7.139"), _) => {
            f = f
                .fix(format!("Exchange Online PowerShell: {}", ids.smtp_auth()))
                .fix("If SMTP AUTH is off for the whole tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false")
                .fix("Or send through Microsoft Graph instead (oauthmail send --via graph; needs the Graph Mail.Send permission).");
        }
        (_, _, ErrorKind::Auth | ErrorKind::Permission) => {
            f = f
                .fix(format!("Exchange Online PowerShell (once per app): {}", ids.register_sp()))
                .fix(format!("Exchange Online PowerShell (per mailbox): {}", ids.full_access()));
        }
        _ => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use base64::Engine as _;

    use super::*;

    fn token(payload: serde_json::Value, valid_for: Duration) -> AccessToken {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!("{}.{}.sig", b(r#"{"typ":"JWT","alg":"RS256"}"#), b(&payload.to_string()));
        AccessToken::new(jwt, SystemTime::now() + valid_for)
    }

    fn opts(smtp: bool, imap: bool) -> DoctorOptions {
        DoctorOptions {
            smtp: smtp.then(|| SmtpConfig::new("127.0.0.1", 587, "box@contoso.com")),
            imap: imap.then(|| ImapConfig::new("127.0.0.1", 993, "box@contoso.com")),
            ..DoctorOptions::new("box@contoso.com")
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn app_token_without_roles_gets_the_portal_step_and_the_exchange_commands() {
        let t =
            token(serde_json::json!({"aud": "https://outlook.office365.com", "appid": "app-1", "oid": "sp-9"}), HOUR);
        let f = check_token(&t, "box@contoso.com", "https://outlook.office365.com", &opts(true, true));
        assert_eq!(f[0].status, Status::Ok);
        let p = &f[1];
        assert_eq!((p.check, p.status), ("permissions", Status::Problem));
        assert!(
            p.summary.contains("no roles") && p.summary.contains("SMTP.SendAsApp, IMAP.AccessAsApp"),
            "{}",
            p.summary
        );
        assert!(p.fix.iter().any(|s| s.contains("New-ServicePrincipal -AppId app-1 -ObjectId sp-9")), "{:?}", p.fix);
        assert!(p.fix.iter().any(|s| {
            s.contains("Add-MailboxPermission -Identity box@contoso.com -User sp-9 -AccessRights FullAccess")
        }));
        assert_eq!(f[2].status, Status::Ok);
    }

    #[test]
    fn only_the_unused_pop_role_missing_is_a_warning() {
        let t = token(
            serde_json::json!({"aud": "https://outlook.office365.com", "roles": ["SMTP.SendAsApp", "IMAP.AccessAsApp"]}),
            HOUR,
        );
        let f = check_token(&t, "box@contoso.com", "https://outlook.office365.com", &opts(true, true));
        assert_eq!(f[1].status, Status::Warning, "{:?}", f[1]);
        assert!(f[1].summary.contains("POP.AccessAsApp"));
    }

    #[test]
    fn graph_audience_is_a_problem_with_the_right_scope() {
        let t = token(serde_json::json!({"aud": "https://graph.microsoft.com", "roles": ["Mail.Send"]}), HOUR);
        let f = check_token(&t, "box@contoso.com", "https://outlook.office365.com", &opts(true, false));
        assert_eq!(f[0].status, Status::Problem);
        assert!(f[0].fix[0].contains("https://outlook.office365.com/.default"));
        // Exchange's application id is the same resource as its URL.
        let t = token(
            serde_json::json!({"aud": "00000002-0000-0ff1-ce00-000000000000", "roles": ["SMTP.SendAsApp"]}),
            HOUR,
        );
        assert_eq!(check_token(&t, "b@c.d", "https://outlook.office365.com", &opts(true, false))[0].status, Status::Ok);
    }

    #[test]
    fn delegated_tokens_need_scopes_and_their_own_mailbox() {
        let t = token(
            serde_json::json!({"aud": "https://outlook.office365.com", "scp": "SMTP.Send", "upn": "u@contoso.com"}),
            HOUR,
        );
        let f = check_token(&t, "u@contoso.com", "https://outlook.office365.com", &opts(true, true));
        assert_eq!(f[1].status, Status::Problem);
        assert!(f[1].summary.contains("IMAP.AccessAsUser.All"));
        let f = check_token(&t, "other@contoso.com", "https://outlook.office365.com", &opts(true, false));
        assert_eq!(f[1].status, Status::Warning, "{:?}", f[1]);
    }

    #[test]
    fn short_lifetime_and_opaque_tokens() {
        let t =
            token(serde_json::json!({"aud": "https://outlook.office365.com", "roles": []}), Duration::from_secs(60));
        assert_eq!(
            check_token(&t, "b@c.d", "https://outlook.office365.com", &opts(false, false))[2].status,
            Status::Warning
        );
        let opaque = AccessToken::new("ya29.opaque", SystemTime::now() + HOUR);
        let f = check_token(&opaque, "b@c.d", "https://mail.google.com", &opts(true, true));
        assert_eq!(f.iter().map(|f| f.status).collect::<Vec<_>>(), [Status::Skipped, Status::Skipped, Status::Ok]);
    }

    #[test]
    fn expected_audience_comes_from_the_scope() {
        assert_eq!(
            expected_audience(&[], &["https://outlook.office365.us/.default".into()]),
            "https://outlook.office365.us"
        );
        assert_eq!(expected_audience(&["https://mail.google.com/".into()], &[]), "https://mail.google.com");
        assert_eq!(expected_audience(&[], &[]), "https://outlook.office365.com");
    }

    #[test]
    fn smtp_auth_disabled_names_set_casmailbox() {
        let t = token(serde_json::json!({"appid": "a", "oid": "o"}), HOUR);
        let ids = Ids::from_token(&t, "box@contoso.com");
        let e = Error::new(ErrorKind::Permission, "535 5.7.139 Authentication unsuccessful").with_code("5.7.139");
        let f = server_failure("smtp", "SMTP login failed", &e, &ids);
        assert_eq!(f.code.as_deref(), Some("5.7.139"));
        assert!(
            f.fix.iter().any(
                |s| s.contains("Set-CASMailbox -Identity box@contoso.com -SmtpClientAuthenticationDisabled $false")
            )
        );
    }
}
