//! Names of the default fixture (`Config::default_fixture()`), shared by every language's tests.

pub const TENANT_ID: &str = "11111111-1111-1111-1111-111111111111";
pub const TENANT_DOMAIN: &str = "example.test";

/// Confidential app with a client secret and app roles on Exchange Online and Graph.
pub const CONFIDENTIAL_APP_ID: &str = "22222222-2222-2222-2222-222222222222";
pub const CONFIDENTIAL_APP_SECRET: &str = "test-secret-1";
/// A registered but expired secret of the confidential app (AADSTS7000222).
pub const EXPIRED_SECRET: &str = "expired-secret";

/// App authenticated with a certificate the kit generates at start (`TestKit::cert_app()`).
pub const CERT_APP_ID: &str = "33333333-3333-3333-3333-333333333333";

/// Public client for password, device code, authorization code + PKCE and refresh token flows.
pub const PUBLIC_APP_ID: &str = "44444444-4444-4444-4444-444444444444";

/// Confidential app without any app role (permission tests).
pub const NOROLES_APP_ID: &str = "55555555-5555-5555-5555-555555555555";
pub const NOROLES_APP_SECRET: &str = "noroles-secret";

pub const ALICE: &str = "alice@example.test";
pub const ALICE_PASSWORD: &str = "alice-password";
pub const BOB: &str = "bob@example.test";
pub const BOB_PASSWORD: &str = "bob-password";
/// User whose password sign-in needs MFA (AADSTS50076).
pub const MFA_USER: &str = "mfa@example.test";
pub const MFA_PASSWORD: &str = "mfa-password";

pub const OUTLOOK_RESOURCE: &str = "https://outlook.office365.com";
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
pub const OUTLOOK_APP_ROLES: [&str; 3] = ["SMTP.SendAsApp", "IMAP.AccessAsApp", "POP.AccessAsApp"];
pub const GRAPH_APP_ROLES: [&str; 2] = ["Mail.Send", "Mail.ReadWrite"];
