//! Parsing the `scope` parameter into one resource and its permissions.

use super::errors::AadError;
use crate::fixture::{GRAPH_RESOURCE, OUTLOOK_RESOURCE};

const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Resources every tenant knows, besides those apps have roles on.
pub(crate) const BUILTIN_RESOURCES: [&str; 3] = [OUTLOOK_RESOURCE, "https://outlook.office.com", GRAPH_RESOURCE];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scopes {
    /// The one resource asked for (Graph when only bare names or OIDC scopes were given).
    pub resource: String,
    /// Permissions on it, without the resource prefix; empty with `.default`.
    pub permissions: Vec<String>,
    pub default: bool,
    pub oidc: Vec<String>,
}

impl Scopes {
    pub fn offline(&self) -> bool {
        self.oidc.iter().any(|s| s == "offline_access")
    }

    /// Delegated permissions the token gets (`.default` expands to the resource's usual set).
    pub fn delegated(&self) -> Vec<String> {
        if !self.default {
            return self.permissions.clone();
        }
        let set: &[&str] = match self.resource.as_str() {
            OUTLOOK_RESOURCE | "https://outlook.office.com" => {
                &["IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send"]
            }
            GRAPH_RESOURCE => &["Mail.Send", "Mail.ReadWrite", "User.Read"],
            _ => &["user_impersonation"],
        };
        set.iter().map(|s| s.to_string()).collect()
    }

    /// The `scope` value of a token response.
    pub fn granted(&self, refresh_token_issued: bool) -> String {
        let mut out: Vec<String> = self.delegated().iter().map(|p| format!("{}/{p}", self.resource)).collect();
        for s in &self.oidc {
            if s != "offline_access" || refresh_token_issued {
                out.push(s.clone());
            }
        }
        out.join(" ")
    }
}

pub(crate) fn parse(scope: &str, known: &dyn Fn(&str) -> bool, tenant: &str) -> Result<Scopes, AadError> {
    let mut resource: Option<String> = None;
    let mut permissions = Vec::new();
    let mut default = false;
    let mut oidc = Vec::new();
    for item in scope.split_whitespace() {
        if OIDC_SCOPES.contains(&item) {
            oidc.push(item.to_string());
            continue;
        }
        let (res, perm) = match item.rfind('/') {
            Some(i) if item.contains("://") => (item[..i].trim_end_matches('/'), &item[i + 1..]),
            _ => (GRAPH_RESOURCE, item),
        };
        if perm.is_empty() {
            return Err(invalid_scope(item));
        }
        match &resource {
            Some(r) if !r.eq_ignore_ascii_case(res) => {
                return Err(AadError::invalid_scope(
                    28000,
                    format!(
                        "Provided value for the input parameter scope is not valid because it \
                         contains more than one resource. Scope {scope} is not valid."
                    ),
                ));
            }
            _ => resource = Some(res.to_string()),
        }
        if perm == ".default" {
            default = true;
        } else {
            permissions.push(perm.to_string());
        }
    }
    if default && !permissions.is_empty() {
        return Err(invalid_scope(scope));
    }
    let resource = resource.unwrap_or_else(|| GRAPH_RESOURCE.to_string());
    if !known(&resource) {
        return Err(unknown_resource(&resource, tenant));
    }
    Ok(Scopes { resource, permissions, default, oidc })
}

pub(crate) fn invalid_scope(scope: &str) -> AadError {
    AadError::invalid_scope(
        70011,
        format!(
            "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
        ),
    )
}

pub(crate) fn unknown_resource(resource: &str, tenant: &str) -> AadError {
    AadError::new(
        400,
        "invalid_resource",
        500011,
        format!(
            "The resource principal named {resource} was not found in the tenant named {tenant}. \
             This can happen if the application has not been installed by the administrator of \
             the tenant or consented to by any user in the tenant. You might have sent your \
             authentication request to the wrong tenant."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(r: &str) -> bool {
        BUILTIN_RESOURCES.contains(&r)
    }

    #[test]
    fn parses_delegated_and_default() {
        let s = parse("https://outlook.office365.com/IMAP.AccessAsUser.All offline_access", &known, "t").unwrap();
        assert_eq!(s.resource, OUTLOOK_RESOURCE);
        assert_eq!(s.permissions, vec!["IMAP.AccessAsUser.All"]);
        assert!(s.offline());
        let s = parse("https://graph.microsoft.com/.default", &known, "t").unwrap();
        assert!(s.default);
        let s = parse("Mail.Send", &known, "t").unwrap();
        assert_eq!(s.resource, GRAPH_RESOURCE);
    }

    #[test]
    fn rejects_bad_scopes() {
        assert_eq!(parse("https://nope.example/.default", &known, "t").unwrap_err().code, 500011);
        assert_eq!(
            parse("https://graph.microsoft.com/Mail.Send https://outlook.office365.com/SMTP.Send", &known, "t")
                .unwrap_err()
                .code,
            28000
        );
        assert_eq!(
            parse("https://graph.microsoft.com/.default https://graph.microsoft.com/Mail.Send", &known, "t")
                .unwrap_err()
                .code,
            70011
        );
    }
}
