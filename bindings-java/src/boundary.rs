//! The panic and error boundary every native method goes through, and the
//! conversions of arguments coming from Java.
//!
//! A native method body returns `Result<T, Failure>`; [`run`] catches panics
//! and turns a core error into the matching `OAuthMailException` subclass
//! (built by `OAuthMailException.raise`, which picks the class from the
//! generated `ErrorKind` table), a panic into an `InternalException`. Nothing
//! ever unwinds into the JVM and `fatal_error` is never called.

use std::any::Any;
use std::sync::OnceLock;

use jni::errors::ErrorPolicy;
use jni::ids::JMethodID;
use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString, JValue};
use jni::refs::Global;
use jni::signature::MethodSignature;
use jni::strings::JNIStr;
use jni::sys::jvalue;
use jni::{Env, EnvUnowned, jni_sig, jni_str};
use oauthmail::Error;

/// Why a native method failed.
pub(crate) enum Failure {
    /// An error of the library, thrown as its `OAuthMailException` subclass.
    Core(Error),
    /// A JNI call failed; a Java exception may already be pending.
    Jni(jni::errors::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(e: jni::errors::Error) -> Self {
        Failure::Jni(e)
    }
}

pub(crate) type Result<T> = std::result::Result<T, Failure>;

/// Runs a native method body (after reading the Java log level): its value,
/// or the type's default with an exception pending in the JVM.
pub(crate) fn run<'l, T: Default>(env: &mut EnvUnowned<'l>, body: impl FnOnce(&mut Env<'l>) -> Result<T>) -> T {
    env.with_env(|env| {
        crate::log::refresh(env);
        body(env)
    })
    .resolve::<ThrowOAuthMail>()
}

/// Throws an `OAuthMailException` subclass for errors and panics.
struct ThrowOAuthMail;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowOAuthMail {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        err: Failure,
    ) -> jni::errors::Result<T> {
        let error = match err {
            Failure::Core(e) => e,
            // An exception thrown by Java code we called is the one to see.
            Failure::Jni(_) if env.exception_check() => return Ok(T::default()),
            Failure::Jni(e) => Error::internal(format!("a JNI call failed: {e}"))
                .with_hint("Please report this with the steps that led to it."),
        };
        raise(env, &error)?;
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            env.exception_clear();
        }
        raise(env, &panic_error(payload.as_ref()))?;
        Ok(T::default())
    }
}

fn panic_error(payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Error::internal(format!("a bug in oauthmail (panic: {what})"))
        .with_hint("Please report this with the steps that led to it.")
}

/// Leaves the exception for `error` pending: `OAuthMailException.raise`
/// throws it, so the JNI call "fails" with that exception, which is the point.
fn raise(env: &mut Env<'_>, error: &Error) -> jni::errors::Result<()> {
    let message = env.new_string(error.message_text())?;
    let code = opt_jstring(env, error.code())?;
    let hint = opt_jstring(env, error.hint())?;
    let retry_after_ms = error.retry_after().map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let result = env.call_static_method(
        jni_str!("dev/oauthmail/OAuthMailException"),
        jni_str!("raise"),
        jni_sig!("(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;J)V"),
        &[
            JValue::Int(error.kind().number() as i32),
            JValue::from(&message),
            JValue::from(&code),
            JValue::from(&hint),
            JValue::Long(retry_after_ms),
        ],
    );
    match result {
        Err(jni::errors::Error::JavaException) => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Err(jni::errors::Error::JniCall(jni::errors::JniError::Unknown)),
    }
}

/// A Java string, or `null` for `None`.
pub(crate) fn opt_jstring<'l>(env: &mut Env<'l>, s: Option<&str>) -> jni::errors::Result<JString<'l>> {
    match s {
        Some(s) => env.new_string(s),
        None => Ok(JString::null()),
    }
}

fn null_arg(name: &str) -> Error {
    Error::config(format!("`{name}` is null")).with_hint(format!("Pass a value for `{name}`."))
}

/// A required string argument.
pub(crate) fn str_arg(env: &Env<'_>, s: &JString<'_>, name: &str) -> Result<String> {
    if s.is_null() {
        return Err(null_arg(name).into());
    }
    utf8(env, s, name)
}

/// An optional string argument: `null` means "not given".
pub(crate) fn opt_str_arg(env: &Env<'_>, s: &JString<'_>, name: &str) -> Result<Option<String>> {
    if s.is_null() { Ok(None) } else { utf8(env, s, name).map(Some) }
}

/// A Java string as UTF-8. A lone UTF-16 surrogate has no UTF-8 form, so it is
/// a `Config` error naming the argument: jni's fallback would decode the whole
/// string lossily, turning every other non-BMP character (and NUL) in it into U+FFFD.
fn utf8(env: &Env<'_>, s: &JString<'_>, name: &str) -> Result<String> {
    let chars = s.mutf8_chars(env)?;
    if has_lone_surrogate(chars.to_bytes()) {
        return Err(Error::config(format!("`{name}` holds a lone UTF-16 surrogate, which has no UTF-8 form"))
            .with_hint("Pass well-formed text: a surrogate only as part of a high-low pair.")
            .into());
    }
    Ok(chars.to_string())
}

/// Whether modified UTF-8 (what JNI gives) encodes a surrogate that is not
/// part of a high-low pair. Surrogates are `ED A0..BF xx`; a pair is a high
/// one (`ED A0..AF xx`) followed at once by a low one (`ED B0..BF xx`).
fn has_lone_surrogate(bytes: &[u8]) -> bool {
    let surrogate = |i: usize| match bytes.get(i..i + 2) {
        Some([0xED, second]) if *second >= 0xA0 => Some(*second),
        _ => None,
    };
    let mut i = 0;
    while i < bytes.len() {
        match surrogate(i) {
            Some(high) if high < 0xB0 => match surrogate(i + 3) {
                Some(low) if low >= 0xB0 => i += 6,
                _ => return true,
            },
            Some(_) => return true,
            None => i += 1,
        }
    }
    false
}

/// A `String[]` argument; `null` is an empty list, a `null` element an error.
pub(crate) fn str_array_arg(env: &mut Env<'_>, a: &JObjectArray<'_, JString<'_>>, name: &str) -> Result<Vec<String>> {
    if a.is_null() {
        return Ok(Vec::new());
    }
    let len = a.len(env)?;
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let s = a.get_element(env, i)?;
        out.push(str_arg(env, &s, &format!("{name}[{i}]"))?);
        env.delete_local_ref(s);
    }
    Ok(out)
}

/// A required `byte[]` argument.
pub(crate) fn bytes_arg(env: &Env<'_>, a: &JByteArray<'_>, name: &str) -> Result<Vec<u8>> {
    if a.is_null() {
        return Err(null_arg(name).into());
    }
    Ok(env.convert_byte_array(a)?)
}

/// A `String[]` for Java.
pub(crate) fn string_array<'l>(
    env: &mut Env<'l>,
    items: &[String],
) -> jni::errors::Result<JObjectArray<'l, JString<'l>>> {
    let array = JObjectArray::<JString>::new(env, items.len(), JString::null())?;
    for (i, item) in items.iter().enumerate() {
        let s = env.new_string(item)?;
        array.set_element(env, i, &s)?;
        env.delete_local_ref(s);
    }
    Ok(array)
}

/// A class and one of its constructors, looked up once: FindClass and GetMethodID
/// cost more than building the small objects the binding returns (a cached token,
/// a listing row).
pub(crate) struct Constructor {
    class: &'static JNIStr,
    signature: MethodSignature<'static, 'static>,
    ids: OnceLock<(Global<JClass<'static>>, JMethodID)>,
}

impl Constructor {
    pub(crate) const fn new(class: &'static JNIStr, signature: MethodSignature<'static, 'static>) -> Self {
        Constructor { class, signature, ids: OnceLock::new() }
    }

    /// A new object from `args`.
    ///
    /// # Safety
    /// `args` must match the constructor's signature in number and types.
    pub(crate) unsafe fn call<'l>(&self, env: &mut Env<'l>, args: &[jvalue]) -> jni::errors::Result<JObject<'l>> {
        let (class, ctor) = match self.ids.get() {
            Some(found) => found,
            None => {
                let class = env.find_class(self.class)?;
                let ctor = env.get_method_id(&class, jni_str!("<init>"), &self.signature)?;
                let class = env.new_global_ref(&class)?;
                self.ids.get_or_init(|| (class, ctor))
            }
        };
        // SAFETY: `ctor` is a constructor of `class`; the caller vouches for `args`.
        unsafe { env.new_object_unchecked(class, *ctor, args) }
    }
}

#[cfg(test)]
mod tests {
    use super::has_lone_surrogate;

    #[test]
    fn lone_surrogates_in_modified_utf8() {
        let pair = [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]; // U+1F600 as JNI encodes it
        assert!(!has_lone_surrogate(b"plain"));
        assert!(!has_lone_surrogate("\u{e9}\u{4e2d}\u{fffd}\u{d7ff}".as_bytes()));
        assert!(!has_lone_surrogate(&pair));
        assert!(has_lone_surrogate(&pair[..3]));
        assert!(has_lone_surrogate(&pair[3..]));
        assert!(has_lone_surrogate(&[&pair[3..], &pair[..3]].concat()));
        assert!(has_lone_surrogate(&[b"a".as_slice(), &pair[..3], b"b"].concat()));
    }
}
