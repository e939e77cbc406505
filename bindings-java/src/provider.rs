//! Provider presets: core's hosts, ports and scopes handed to Java's `Provider`.

use jni::objects::{JClass, JObjectArray, JString};
use jni::{EnvUnowned, jni_mangle};
use oauthmail::{Authority, Endpoint, Provider};

use crate::boundary::{run, str_arg, string_array};

/// The authority as `CredentialOptions::new` parses it back.
fn authority_text(a: &Authority) -> String {
    match a {
        Authority::Microsoft { base_url } => base_url.clone(),
        Authority::Google => "google".to_owned(),
        Authority::Custom { token_url, .. } => token_url.clone(),
    }
}

fn endpoint(e: &Endpoint) -> [String; 3] {
    [e.host.clone(), e.port.to_string(), e.security.as_str().to_owned()]
}

/// `name, authority, mail scope, graph url, graph scope` (empty when none),
/// then host, port, security of SMTP, IMAP and POP3.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn provider_preset<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    name: JString<'l>,
) -> JObjectArray<'l, JString<'l>> {
    run(&mut env, |env| {
        let p = Provider::by_name(&str_arg(env, &name, "name")?)?;
        let mut fields = vec![
            p.name.clone(),
            authority_text(&p.authority),
            p.mail_scope.clone(),
            p.graph_url.clone().unwrap_or_default(),
            p.graph_scope.clone().unwrap_or_default(),
        ];
        for e in [&p.smtp, &p.imap, &p.pop3] {
            fields.extend(endpoint(e));
        }
        Ok(string_array(env, &fields)?)
    })
}
