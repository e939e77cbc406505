//! An opt-in file that keeps refresh tokens of user sign-ins between runs,
//! so a CLI user does not sign in again every time.
//!
//! The file is JSON, readable only by its owner (created with mode 0600 and
//! written atomically through a temporary file). It holds refresh tokens in
//! clear, like the caches of az, gcloud and MSAL's plain-file fallback:
//! protect it as you would a password.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize as _;

use crate::{Error, Result, Secret};

/// The refresh token file of one credential (several may share one file).
#[derive(Clone, Debug)]
pub struct RefreshTokenStore {
    path: PathBuf,
    key: String,
}

#[derive(Default, Serialize, Deserialize)]
struct FileContents {
    version: u32,
    #[serde(default)]
    refresh_tokens: BTreeMap<String, String>,
}

impl Drop for FileContents {
    fn drop(&mut self) {
        for v in self.refresh_tokens.values_mut() {
            v.zeroize();
        }
    }
}

/// Serialises read-modify-write cycles within the process.
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// `$XDG_CACHE_HOME/oauthmail/tokens.json`, else `~/.cache/oauthmail/tokens.json`
/// (`%LOCALAPPDATA%\oauthmail\tokens.json` on Windows).
pub fn default_cache_path() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    }?;
    Some(base.join("oauthmail").join("tokens.json"))
}

impl RefreshTokenStore {
    /// `key` names the sign-in (authority, tenant, client and user).
    pub fn new(path: impl Into<PathBuf>, key: impl Into<String>) -> Self {
        RefreshTokenStore { path: path.into(), key: key.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn load(&self) -> Result<Option<Secret>> {
        let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Ok(self.read()?.refresh_tokens.get(&self.key).map(|t| Secret::new(t.as_str())))
    }

    /// Stores (or with `None` removes) this sign-in's refresh token.
    pub fn save(&self, token: Option<&Secret>) -> Result<()> {
        let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut contents = self.read()?;
        contents.version = 1;
        match token {
            Some(t) => {
                contents.refresh_tokens.insert(self.key.clone(), t.expose().to_owned());
            }
            None => {
                if let Some(mut old) = contents.refresh_tokens.remove(&self.key) {
                    old.zeroize();
                }
            }
        }
        let mut json = serde_json::to_vec_pretty(&contents)
            .map_err(|e| Error::internal(format!("cannot encode the token cache: {e}")))?;
        let result = self.write_atomically(&json);
        json.zeroize();
        result
    }

    fn read(&self) -> Result<FileContents> {
        let mut bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileContents::default()),
            Err(e) => return Err(self.io_error("cannot read", e)),
        };
        let parsed = serde_json::from_slice::<FileContents>(&bytes);
        bytes.zeroize();
        parsed.map_err(|_| {
            Error::config(format!("the token cache file {} is not valid", self.path.display()))
                .with_hint("Delete the file; you will be asked to sign in again.")
        })
    }

    fn write_atomically(&self, data: &[u8]) -> Result<()> {
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| self.io_error("cannot create the directory of", e))?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            self.path.file_name().and_then(|n| n.to_str()).unwrap_or("tokens"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = private_file(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.io_error("cannot write", e)
        })
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> Error {
        Error::config(format!("{what} the token cache file {}", self.path.display())).with_source(e)
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/tokens.json");
        let a = RefreshTokenStore::new(&path, "a");
        let b = RefreshTokenStore::new(&path, "b");
        assert!(a.load().unwrap().is_none());
        a.save(Some(&Secret::new("rt-a"))).unwrap();
        b.save(Some(&Secret::new("rt-b"))).unwrap();
        assert_eq!(a.load().unwrap().unwrap().expose(), "rt-a");
        assert_eq!(b.load().unwrap().unwrap().expose(), "rt-b");
        a.save(None).unwrap();
        assert!(a.load().unwrap().is_none());
        assert_eq!(b.load().unwrap().unwrap().expose(), "rt-b");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn corrupt_file_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = RefreshTokenStore::new(&path, "a").load().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
    }
}
