//! Core `tracing` events (and `log` records of the crates below it) go to the
//! `System.Logger` named `dev.oauthmail` through `dev.oauthmail.Log`, like the
//! Python binding's bridge to `logging`. The logger's level is read at the
//! start of every native call ([`refresh`]), so an event below it costs one
//! atomic load. Core never puts secrets in its events.

use std::cell::Cell;
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use jni::objects::{JClass, JValue};
use jni::refs::Global;
use jni::{Env, JavaVM, jni_sig, jni_str};
use tracing::{Level, Metadata};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// The most verbose level Java wants: 0 off, 1 error ... 5 trace (`Log.level()`).
static MAX: AtomicU8 = AtomicU8::new(0);
/// `dev.oauthmail.Log`, found from a Java thread (threads Rust started see only the system class loader).
static LOG_CLASS: OnceLock<Global<JClass<'static>>> = OnceLock::new();

thread_local! {
    /// Set while an event is handed to Java: what jni itself logs then is dropped, not fed back.
    static IN_JAVA: Cell<bool> = const { Cell::new(false) };
}

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Reads the Java logger's level; the first call also installs the bridge (once
/// per process; if the host installed its own tracing subscriber, that one stays).
pub(crate) fn refresh(env: &mut Env<'_>) {
    let class = match LOG_CLASS.get() {
        Some(class) => class,
        None => {
            let found = env.find_class(jni_str!("dev/oauthmail/Log")).and_then(|c| env.new_global_ref(&c));
            let Ok(class) = found else {
                env.exception_clear();
                return;
            };
            let class = LOG_CLASS.get_or_init(|| class);
            install();
            class
        }
    };
    match env.call_static_method(class, jni_str!("level"), jni_sig!("()I"), &[]).and_then(|v| v.i()) {
        Ok(level) => MAX.store(level.clamp(0, 5) as u8, Ordering::Relaxed),
        Err(_) => env.exception_clear(),
    }
}

fn install() {
    let layer = tracing_subscriber::fmt::layer()
        .without_time()
        .with_ansi(false)
        .with_level(false)
        .with_writer(ToJava)
        .with_filter(dynamic_filter_fn(|meta: &Metadata<'_>, _| {
            rank(meta.level()) <= MAX.load(Ordering::Relaxed) && !IN_JAVA.get()
        }));
    // Also routes `log` records (rustls, reqwest) through the same filter.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Makes one [`Line`] per event (the fmt layer writes each event in one go).
struct ToJava;

impl<'a> MakeWriter<'a> for ToJava {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { level: Level::INFO, text: Vec::new() }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        Line { level: *meta.level(), text: Vec::new() }
    }
}

/// One formatted event, handed to `Log.log` when the layer is done with it.
struct Line {
    level: Level,
    text: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let (Some(class), Ok(vm)) = (LOG_CLASS.get(), JavaVM::singleton()) else { return };
        IN_JAVA.set(true);
        let send = |env: &mut Env<'_>| -> jni::errors::Result<()> {
            let message = env.new_string(String::from_utf8_lossy(&self.text).trim_end())?;
            env.call_static_method(
                class,
                jni_str!("log"),
                jni_sig!("(ILjava/lang/String;)V"),
                &[JValue::Int(rank(&self.level).into()), JValue::from(&message)],
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
}
