//! Secrets are referenced by the plan, never written in it, and never printed: `Secret` has no
//! `Display`, no `Serialize`, and a redacted `Debug`.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a secret is read from at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", content = "name", rename_all = "snake_case")]
pub enum SecretRef {
    /// An environment variable's name.
    Env(String),
    /// A file whose whole content (trailing newline trimmed) is the secret.
    File(PathBuf),
}

/// A secret value. Only signers call `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl SecretRef {
    /// The plan key that holds this reference on `side` ("source"/"target"), for messages.
    pub fn field(&self, side: &str) -> String {
        match self {
            SecretRef::Env(_) => format!("{side}.secret_key_env"),
            SecretRef::File(_) => format!("{side}.secret_key_file"),
        }
    }

    /// Reads the secret. `field` names the plan field for the error message, which never contains
    /// the value.
    pub fn resolve(&self, field: &str, plan_dir: &Path) -> Result<Secret, String> {
        match self {
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                Ok(_) => Err(format!(
                    "{field} names the environment variable {var}, which is empty: export {var}=<the SecretKey> before starting"
                )),
                Err(_) => Err(format!(
                    "{field} names the environment variable {var}, which is not set: export {var}=<the SecretKey> before starting"
                )),
            },
            SecretRef::File(path) => {
                let path = plan_dir.join(path);
                // As ssh does with private keys: a secret others can read is no secret.
                #[cfg(unix)]
                if let Ok(meta) = std::fs::metadata(&path) {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = meta.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        return Err(format!(
                            "{field} names the file {}, which other users can read (mode {mode:04o}): run `chmod 600 {}` first",
                            path.display(),
                            path.display()
                        ));
                    }
                }
                match std::fs::read_to_string(&path) {
                    Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                    Ok(_) => Err(format!(
                        "{field} names the file {}, which is empty: write the SecretKey into it (one line)",
                        path.display()
                    )),
                    Err(e) => Err(format!(
                        "{field} names the file {}, which cannot be read ({e}): create it with the SecretKey on one line, readable only by you",
                        path.display()
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn missing_env_names_field_and_variable_not_value() {
        let r = SecretRef::Env("RMQ_MIGRATE_TEST_SURELY_UNSET".into());
        assert_eq!(r.field("target"), "target.secret_key_env");
        let e = r.resolve(&r.field("target"), Path::new(".")).unwrap_err();
        assert!(e.contains("target.secret_key_env"), "{e}");
        assert!(e.contains("RMQ_MIGRATE_TEST_SURELY_UNSET"), "{e}");
        assert!(e.contains("export"), "{e}");
    }

    #[cfg(unix)]
    fn only_mine(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_is_refused_naming_the_key_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sk");
        std::fs::write(&path, "abc123\n").unwrap();
        only_mine(&path, 0o644);
        let r = SecretRef::File("sk".into());
        let e = r.resolve(&r.field("source"), dir.path()).unwrap_err();
        assert!(
            e.starts_with("source.secret_key_file names the file"),
            "{e}"
        );
        assert!(e.contains("other users can read (mode 0644)"), "{e}");
        assert!(e.contains("chmod 600"), "{e}");
        assert!(!e.contains("abc123"), "never the value: {e}");
    }

    #[test]
    fn file_secret_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sk"), "abc123\n").unwrap();
        #[cfg(unix)]
        only_mine(&dir.path().join("sk"), 0o600);
        let s = SecretRef::File("sk".into())
            .resolve("source.secret_key_file", dir.path())
            .unwrap();
        assert_eq!(s.expose(), "abc123");
    }
}
