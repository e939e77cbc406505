//! Entry points that fail or panic on purpose, so that the JUnit tests can
//! prove the error and panic mapping (feature `testing`).

use jni::objects::JClass;
use jni::sys::jint;
use jni::{EnvUnowned, jni_mangle};
use oauthmail::{Error, ErrorKind};

use crate::boundary::run;

/// Throws the exception of kind number `kind` with code `TEST-<kind>` and a hint.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn testing_error<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, kind: jint) {
    run(&mut env, |_| {
        let kind = u32::try_from(kind)
            .ok()
            .and_then(ErrorKind::from_number)
            .ok_or_else(|| Error::config(format!("{kind} is not an error kind number")))?;
        Err(Error::new(kind, format!("a {} error made on purpose", kind.name()))
            .with_code(format!("TEST-{}", kind.number()))
            .with_hint(format!("This is what a {} hint looks like.", kind.name()))
            .into())
    })
}

/// Panics inside the boundary.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn testing_panic<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>) {
    run(&mut env, |_| -> crate::boundary::Result<()> { panic!("a panic made on purpose") })
}
