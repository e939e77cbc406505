//! The interactive credentials, whose core callbacks call back into Java:
//! the device-code prompt and the browser opener. They run on the Java
//! thread that asked for a token (inside its native call); an exception the
//! Java callback throws is cleared there, since a prompt cannot stop a sign-in.

use std::sync::Arc;

use jni::objects::{JClass, JObject, JObjectArray, JString, JValue};
use jni::sys::jlong;
use jni::{Env, EnvUnowned, JavaVM, jni_mangle, jni_sig, jni_str};
use oauthmail::{AuthorizationCodeCredential, DeviceCodeCredential, DeviceCodeInfo, Error};

use crate::boundary::{Result, run, str_arg, str_array_arg};
use crate::credential::{Options, access_token};
use crate::handle::{Object, auth_code, new_handle};

/// Runs `call` on this thread's JVM attachment, clearing what the Java side throws.
fn call_java(vm: &JavaVM, call: impl FnOnce(&mut Env<'_>) -> jni::errors::Result<()>) {
    let _ = vm.attach_current_thread(|env| -> jni::errors::Result<()> {
        let result = call(env);
        if env.exception_check() {
            env.exception_clear();
        }
        result
    });
}

fn required(o: &JObject<'_>, name: &str) -> Result<()> {
    if o.is_null() { Err(Error::config(format!("`{name}` is null")).into()) } else { Ok(()) }
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn device_code_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tenant_id: JString<'l>,
    client_id: JString<'l>,
    prompt: JObject<'l>,
    authority: JString<'l>,
    ca_file: JString<'l>,
    scopes: JObjectArray<'l, JString<'l>>,
    client_secret: JString<'l>,
    login_hint: JString<'l>,
    persistent_cache: JString<'l>,
) -> jlong {
    run(&mut env, |env| {
        required(&prompt, "prompt")?;
        let opts = Options {
            authority: &authority,
            ca_file: &ca_file,
            scopes: &scopes,
            client_secret: &client_secret,
            login_hint: &login_hint,
            persistent_cache: &persistent_cache,
        }
        .read(env)?;
        let vm = env.get_java_vm()?;
        let prompt = env.new_global_ref(&prompt)?;
        let show = move |info: &DeviceCodeInfo| {
            call_java(&vm, |env| {
                let code = env.new_string(&info.user_code)?;
                let uri = env.new_string(&info.verification_uri)?;
                let message = env.new_string(&info.message)?;
                env.call_method(
                    &prompt,
                    jni_str!("show"),
                    jni_sig!("(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;J)V"),
                    &[
                        JValue::from(&code),
                        JValue::from(&uri),
                        JValue::from(&message),
                        JValue::Long(i64::try_from(info.expires_in.as_secs()).unwrap_or(i64::MAX)),
                    ],
                )
                .map(drop)
            })
        };
        let c = DeviceCodeCredential::new(
            &str_arg(env, &tenant_id, "tenantId")?,
            &str_arg(env, &client_id, "clientId")?,
            show,
            opts,
        )?;
        Ok(crate::credential::credential_handle(Arc::new(c)))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn authorization_code_credential<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tenant_id: JString<'l>,
    client_id: JString<'l>,
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
        let c = Arc::new(AuthorizationCodeCredential::new(
            &str_arg(env, &tenant_id, "tenantId")?,
            &str_arg(env, &client_id, "clientId")?,
            opts,
        )?);
        Ok(new_handle(Object::Credential(c.clone(), Some(c))))
    })
}

/// Signs in through the browser: `open_browser.accept(url)`, then waits for
/// the redirect on 127.0.0.1 and exchanges the code.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn authorization_code_sign_in<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    open_browser: JObject<'l>,
    scopes: JObjectArray<'l, JString<'l>>,
) -> JObject<'l> {
    run(&mut env, |env| {
        required(&open_browser, "openBrowser")?;
        let credential = auth_code(handle)?;
        let scopes = str_array_arg(env, &scopes, "scopes")?;
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let vm = env.get_java_vm()?;
        let token = credential.run_loopback(&scopes, |url| {
            call_java(&vm, |env| {
                let url = env.new_string(url)?;
                env.call_method(
                    &open_browser,
                    jni_str!("accept"),
                    jni_sig!("(Ljava/lang/Object;)V"),
                    &[JValue::from(&url)],
                )
                .map(drop)
            })
        })?;
        access_token(env, &token)
    })
}
