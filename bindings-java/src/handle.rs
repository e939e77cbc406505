//! Native objects owned by Java through a `long`.
//!
//! A handle is a boxed [`Object`]; Java's `NativeHandle` keeps it, makes
//! every call under a read lock and frees it once (under the write lock, from
//! `close()` or its `Cleaner`), so a handle is never used after it is freed.
//! The type of the object is checked at every use, so a handle of the wrong
//! kind is a `Config` error, not undefined behaviour.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jni::objects::JClass;
use jni::sys::jlong;
use jni::{EnvUnowned, jni_mangle};
use oauthmail::{
    AuthorizationCodeCredential, Error, GraphMailClient, ImapClient, Pop3Client, SmtpClient, TokenCredential,
};

use crate::boundary::{Result, run};

/// Everything Java can hold a handle to.
pub(crate) enum Object {
    /// Authorization-code credentials also keep their concrete type, for `signIn`.
    Credential(Arc<dyn TokenCredential>, Option<Arc<AuthorizationCodeCredential>>),
    Smtp(Box<SmtpClient>),
    Imap(Box<ImapClient>),
    Pop3(Box<Pop3Client>),
    Graph(Box<GraphMailClient>),
}

/// Handles made and not yet freed, for the tests of the Cleaner backstop.
static LIVE: AtomicI64 = AtomicI64::new(0);

pub(crate) fn new_handle(object: Object) -> jlong {
    LIVE.fetch_add(1, Ordering::SeqCst);
    Box::into_raw(Box::new(object)) as jlong
}

/// The object behind a live handle.
pub(crate) fn object<'a>(handle: jlong) -> Result<&'a Object> {
    if handle == 0 {
        return Err(Error::config("the native handle is 0").into());
    }
    // SAFETY: Java's NativeHandle passes only handles made by `new_handle`,
    // never after `free` (its read/write lock orders every use before the free).
    Ok(unsafe { &*(handle as *const Object) })
}

fn wrong(what: &str) -> crate::boundary::Failure {
    Error::internal(format!("the native handle is not a {what}")).into()
}

pub(crate) fn credential(handle: jlong) -> Result<Arc<dyn TokenCredential>> {
    match object(handle)? {
        Object::Credential(c, _) => Ok(c.clone()),
        _ => Err(wrong("credential")),
    }
}

pub(crate) fn auth_code<'a>(handle: jlong) -> Result<&'a AuthorizationCodeCredential> {
    match object(handle)? {
        Object::Credential(_, Some(c)) => Ok(c),
        _ => Err(wrong("authorization-code credential")),
    }
}

pub(crate) fn smtp<'a>(handle: jlong) -> Result<&'a SmtpClient> {
    match object(handle)? {
        Object::Smtp(c) => Ok(c),
        _ => Err(wrong("SMTP client")),
    }
}

pub(crate) fn imap<'a>(handle: jlong) -> Result<&'a ImapClient> {
    match object(handle)? {
        Object::Imap(c) => Ok(c),
        _ => Err(wrong("IMAP client")),
    }
}

pub(crate) fn pop3<'a>(handle: jlong) -> Result<&'a Pop3Client> {
    match object(handle)? {
        Object::Pop3(c) => Ok(c),
        _ => Err(wrong("POP3 client")),
    }
}

pub(crate) fn graph<'a>(handle: jlong) -> Result<&'a GraphMailClient> {
    match object(handle)? {
        Object::Graph(c) => Ok(c),
        _ => Err(wrong("Graph client")),
    }
}

/// Frees a handle (0 is a no-op). Clients end their sessions first.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn free<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(&mut env, |_| {
        if handle == 0 {
            return Ok(());
        }
        // SAFETY: made by `new_handle` and freed exactly once (see the module comment).
        let object = unsafe { Box::from_raw(handle as *mut Object) };
        LIVE.fetch_sub(1, Ordering::SeqCst);
        match *object {
            Object::Smtp(c) => c.close(),
            Object::Imap(c) => c.close(),
            // Without QUIT, POP3 deletions are discarded, as the caller did not close.
            Object::Pop3(c) => drop(c),
            Object::Graph(c) => c.close(),
            Object::Credential(..) => {}
        }
        Ok(())
    })
}

/// Handles made and not yet freed.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn live_handles<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>) -> jlong {
    run(&mut env, |_| Ok(LIVE.load(Ordering::SeqCst)))
}
