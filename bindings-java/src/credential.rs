//! Credentials: one constructor per type, each returning a handle, and
//! `getToken` for all of them.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString, JValue};
use jni::sys::{jboolean, jlong};
use jni::{Env, EnvUnowned, jni_mangle, jni_sig, jni_str};
use oauthmail::{
    AccessToken, ClientCertificateCredential, ClientSecretCredential, CredentialOptions, RefreshTokenCredential,
    Secret, StaticTokenCredential, TokenCredential, UsernamePasswordCredential,
};

use crate::boundary::{
    Constructor, Result, bytes_arg, opt_jstring, opt_str_arg, run, str_arg, str_array_arg, string_array,
};
use crate::handle::{Object, credential, new_handle};

/// The settings every credential takes, as `Native` passes them (each may be null).
pub(crate) struct Options<'a, 'l> {
    pub authority: &'a JString<'l>,
    pub ca_file: &'a JString<'l>,
    pub scopes: &'a JObjectArray<'l, JString<'l>>,
    pub client_secret: &'a JString<'l>,
    pub login_hint: &'a JString<'l>,
    pub persistent_cache: &'a JString<'l>,
}

impl Options<'_, '_> {
    pub(crate) fn read(&self, env: &mut Env<'_>) -> Result<CredentialOptions> {
        let authority = opt_str_arg(env, self.authority, "authority")?;
        let ca_file = opt_str_arg(env, self.ca_file, "caFile")?;
        let mut opts = CredentialOptions::new(authority.as_deref(), ca_file.as_deref().map(std::path::Path::new))?;
        opts.scopes = str_array_arg(env, self.scopes, "scopes")?;
        opts.client_secret = opt_str_arg(env, self.client_secret, "clientSecret")?.map(Secret::new);
        opts.login_hint = opt_str_arg(env, self.login_hint, "loginHint")?;
        opts.persistent_cache = opt_str_arg(env, self.persistent_cache, "persistentCache")?.map(Into::into);
        Ok(opts)
    }
}

pub(crate) fn credential_handle(inner: Arc<dyn TokenCredential>) -> jlong {
    new_handle(Object::Credential(inner, None))
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn client_secret_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tenant_id: JString<'l>,
    client_id: JString<'l>,
    client_secret: JString<'l>,
    authority: JString<'l>,
    ca_file: JString<'l>,
    scopes: JObjectArray<'l, JString<'l>>,
) -> jlong {
    run(&mut env, |env| {
        let none = JString::null();
        let opts = Options {
            authority: &authority,
            ca_file: &ca_file,
            scopes: &scopes,
            client_secret: &none,
            login_hint: &none,
            persistent_cache: &none,
        }
        .read(env)?;
        let c = ClientSecretCredential::new(
            &str_arg(env, &tenant_id, "tenantId")?,
            &str_arg(env, &client_id, "clientId")?,
            Secret::new(str_arg(env, &client_secret, "clientSecret")?),
            opts,
        )?;
        Ok(credential_handle(Arc::new(c)))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn client_certificate_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tenant_id: JString<'l>,
    client_id: JString<'l>,
    certificate_pem: JByteArray<'l>,
    key_pem: JByteArray<'l>,
    authority: JString<'l>,
    ca_file: JString<'l>,
    scopes: JObjectArray<'l, JString<'l>>,
) -> jlong {
    run(&mut env, |env| {
        let none = JString::null();
        let opts = Options {
            authority: &authority,
            ca_file: &ca_file,
            scopes: &scopes,
            client_secret: &none,
            login_hint: &none,
            persistent_cache: &none,
        }
        .read(env)?;
        let cert = bytes_arg(env, &certificate_pem, "certificatePem")?;
        let key = if key_pem.is_null() { None } else { Some(bytes_arg(env, &key_pem, "keyPem")?) };
        let c = ClientCertificateCredential::new(
            &str_arg(env, &tenant_id, "tenantId")?,
            &str_arg(env, &client_id, "clientId")?,
            &cert,
            key.as_deref(),
            opts,
        )?;
        Ok(credential_handle(Arc::new(c)))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn username_password_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tenant_id: JString<'l>,
    client_id: JString<'l>,
    username: JString<'l>,
    password: JString<'l>,
    authority: JString<'l>,
    ca_file: JString<'l>,
    scopes: JObjectArray<'l, JString<'l>>,
    client_secret: JString<'l>,
) -> jlong {
    run(&mut env, |env| {
        let none = JString::null();
        let opts = Options {
            authority: &authority,
            ca_file: &ca_file,
            scopes: &scopes,
            client_secret: &client_secret,
            login_hint: &none,
            persistent_cache: &none,
        }
        .read(env)?;
        let c = UsernamePasswordCredential::new(
            &str_arg(env, &tenant_id, "tenantId")?,
            &str_arg(env, &client_id, "clientId")?,
            &str_arg(env, &username, "username")?,
            Secret::new(str_arg(env, &password, "password")?),
            opts,
        )?;
        Ok(credential_handle(Arc::new(c)))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn refresh_token_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tenant_id: JString<'l>,
    client_id: JString<'l>,
    refresh_token: JString<'l>,
    authority: JString<'l>,
    ca_file: JString<'l>,
    scopes: JObjectArray<'l, JString<'l>>,
    client_secret: JString<'l>,
    login_hint: JString<'l>,
    persistent_cache: JString<'l>,
) -> jlong {
    run(&mut env, |env| {
        let opts = Options {
            authority: &authority,
            ca_file: &ca_file,
            scopes: &scopes,
            client_secret: &client_secret,
            login_hint: &login_hint,
            persistent_cache: &persistent_cache,
        }
        .read(env)?;
        let c = RefreshTokenCredential::new(
            &str_arg(env, &tenant_id, "tenantId")?,
            &str_arg(env, &client_id, "clientId")?,
            Secret::new(str_arg(env, &refresh_token, "refreshToken")?),
            opts,
        )?;
        Ok(credential_handle(Arc::new(c)))
    })
}

/// `expires_on_unix` 0: the token's `exp` claim (one hour if it is not a JWT).
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn static_token_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    token: JString<'l>,
    expires_on_unix: jlong,
) -> jlong {
    run(&mut env, |env| {
        let token = str_arg(env, &token, "token")?;
        let expires = u64::try_from(expires_on_unix)
            .ok()
            .filter(|&s| s > 0)
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        Ok(credential_handle(Arc::new(StaticTokenCredential::new(Secret::new(token), expires)?)))
    })
}

/// `dev.oauthmail.AccessToken(String, long)`: a cached token takes a few hundred nanoseconds
/// in core, less than FindClass alone.
static ACCESS_TOKEN: Constructor =
    Constructor::new(jni_str!("dev/oauthmail/AccessToken"), jni_sig!("(Ljava/lang/String;J)V"));

/// An `AccessToken` for Java.
pub(crate) fn access_token<'l>(env: &mut Env<'l>, token: &AccessToken) -> Result<JObject<'l>> {
    let text = env.new_string(token.token().expose())?;
    let args = [JValue::from(&text).as_jni(), JValue::Long(token.expires_on_unix() as i64).as_jni()];
    // SAFETY: the arguments are a String and a long.
    Ok(unsafe { ACCESS_TOKEN.call(env, &args) }?)
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn get_token<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    scopes: JObjectArray<'l, JString<'l>>,
    fresh: jboolean,
) -> JObject<'l> {
    run(&mut env, |env| {
        let credential = credential(handle)?;
        let scopes = str_array_arg(env, &scopes, "scopes")?;
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let token = if fresh { credential.get_fresh_token(&scopes) } else { credential.get_token(&scopes) }?;
        access_token(env, &token)
    })
}

/// The claims of a JWT access token, decoded without verifying it.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn token_claims<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    token: JString<'l>,
) -> JObject<'l> {
    run(&mut env, |env| {
        let token = str_arg(env, &token, "token")?;
        let claims = AccessToken::new(Secret::new(token), SystemTime::now()).claims()?;
        let aud = opt_jstring(env, claims.aud.as_deref())?;
        let roles = string_array(env, &claims.roles)?;
        let scopes: Vec<String> = claims.scopes().into_iter().map(str::to_owned).collect();
        let scopes = string_array(env, &scopes)?;
        let tid = opt_jstring(env, claims.tid.as_deref())?;
        let app_id = opt_jstring(env, claims.app_id())?;
        let user = opt_jstring(env, claims.preferred_username.as_deref().or(claims.upn.as_deref()))?;
        Ok(env.new_object(
            jni_str!("dev/oauthmail/Claims"),
            jni_sig!("(Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;J)V"),
            &[
                JValue::from(&aud),
                JValue::from(&roles),
                JValue::from(&scopes),
                JValue::from(&tid),
                JValue::from(&app_id),
                JValue::from(&user),
                JValue::Long(claims.exp.map_or(0, |e| e as i64)),
            ],
        )?)
    })
}
