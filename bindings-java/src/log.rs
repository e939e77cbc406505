//! Core `tracing` events (and `log` records of the crates below it) go to the
//! `System.Logger` named `dev.oauthmail` through `dev.oauthmail.Log`, like the
//! Python binding's bridge to `logging`. The logger's level is read at the
//! start of every native call ([`refresh`]), so an event below it costs one
//! atomic load. Core never puts secrets in its events.

use std::cell::Cell;
use std::sync::OnceLock;

use jni::ids::JStaticMethodID;
use jni::objects::{JClass, JValue};
use jni::refs::Global;
use jni::signature::{Primitive, ReturnType};
use jni::{Env, JavaVM, jni_sig, jni_str};
use oauthmail::log_bridge;
use tracing::Level;

/// `dev.oauthmail.Log` and its `level()`, found from a Java thread (threads Rust
/// started see only the system class loader); looked up once, as `refresh` runs
/// at every native call.
static LOG_CLASS: OnceLock<(Global<JClass<'static>>, JStaticMethodID)> = OnceLock::new();

thread_local! {
    /// Set while an event is handed to Java: what jni itself logs then is dropped, not fed back.
    static IN_JAVA: Cell<bool> = const { Cell::new(false) };
}

/// Reads the Java logger's level; the first call also installs the bridge (once
/// per process; if the host installed its own tracing subscriber, that one stays).
pub(crate) fn refresh(env: &mut Env<'_>) {
    let (class, level) = match LOG_CLASS.get() {
        Some(found) => found,
        None => {
            let found = env.find_class(jni_str!("dev/oauthmail/Log")).and_then(|c| {
                let level = env.get_static_method_id(&c, jni_str!("level"), jni_sig!("()I"))?;
                Ok((env.new_global_ref(&c)?, level))
            });
            let Ok(found) = found else {
                env.exception_clear();
                return;
            };
            let found = LOG_CLASS.get_or_init(|| found);
            log_bridge::install(to_java);
            found
        }
    };
    // SAFETY: `level` is `static int level()` of `class`; no arguments.
    let level = unsafe { env.call_static_method_unchecked(class, *level, ReturnType::Primitive(Primitive::Int), &[]) };
    match level.and_then(|v| v.i()) {
        Ok(level) => log_bridge::set_max_level(LEVELS[level.clamp(0, 5) as usize]),
        Err(_) => env.exception_clear(),
    }
}

/// `Log.level()`'s scale: 0 off, 1 error … 5 trace.
const LEVELS: [Option<Level>; 6] =
    [None, Some(Level::ERROR), Some(Level::WARN), Some(Level::INFO), Some(Level::DEBUG), Some(Level::TRACE)];

fn to_java(level: Level, text: &str) {
    // What jni itself logs while an event is handed to Java is dropped, not fed back.
    if IN_JAVA.get() {
        return;
    }
    let (Some((class, _)), Ok(vm)) = (LOG_CLASS.get(), JavaVM::singleton()) else { return };
    IN_JAVA.set(true);
    let send = |env: &mut Env<'_>| -> jni::errors::Result<()> {
        let message = env.new_string(text)?;
        env.call_static_method(
            class,
            jni_str!("log"),
            jni_sig!("(ILjava/lang/String;)V"),
            &[JValue::Int(log_bridge::rank(level).into()), JValue::from(&message)],
        )
        .map(drop)
    };
    // A thread Rust started (reqwest's runtime) is attached only for this call: a
    // permanent attachment would be a non-daemon Java thread that keeps the JVM from exiting.
    // A pending exception is kept aside and thrown again; one the logger throws is dropped.
    let _ = match vm.is_thread_attached() {
        Ok(true) => vm.attach_current_thread(send),
        _ => vm.attach_current_thread_for_scope(send),
    };
    IN_JAVA.set(false);
}
