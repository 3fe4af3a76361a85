//! Remoting errors in words an operator can act on.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemotingError {
    Connect {
        addr: String,
        error: String,
    },
    Io {
        addr: String,
        error: String,
    },
    Closed {
        addr: String,
        why: String,
    },
    Timeout {
        addr: String,
        after: Duration,
    },
    /// The server answered with an error code.
    Response {
        addr: String,
        code: i32,
        remark: String,
        what: String,
    },
    /// The answer could not be read.
    Body {
        addr: String,
        error: String,
    },
    /// Waiting before reconnecting after a failure.
    Backoff {
        addr: String,
        retry_in: Duration,
        last: String,
    },
}

impl std::fmt::Display for RemotingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::command::status::*;
        match self {
            RemotingError::Connect { addr, error } => {
                write!(f, "cannot connect to {addr}: {error}")
            }
            RemotingError::Io { addr, error } => write!(f, "connection to {addr} failed: {error}"),
            RemotingError::Closed { addr, why } => {
                write!(f, "the connection to {addr} ended: {why}")
            }
            RemotingError::Timeout { addr, after } => write!(
                f,
                "{addr} did not answer within {}",
                humantime::format_duration(*after)
            ),
            RemotingError::Body { addr, error } => {
                write!(f, "{addr} answered something unreadable: {error}")
            }
            RemotingError::Backoff {
                addr,
                retry_in,
                last,
            } => write!(
                f,
                "{addr} is unreachable ({last}); next attempt in {}",
                humantime::format_duration(*retry_in)
            ),
            RemotingError::Response {
                addr,
                code,
                remark,
                what,
            } => match *code {
                // The broker answers a bad signature with "no permission" too; its remark says
                // which, and the fix differs.
                NO_PERMISSION if wrong_credentials(remark) => write!(
                    f,
                    "the SecretKey (or the AccessKey) is wrong: {addr} could not authenticate the request to {what} ({remark}); check the secret the plan points to"
                ),
                NO_PERMISSION if remark.to_ascii_lowercase().contains(" is disabled") => write!(
                    f,
                    "the account is disabled on {addr}, which refused the request to {what} ({remark}); enable it, or name another in access_key"
                ),
                NO_PERMISSION => match acl2_denied(remark) {
                    Some((user, resource)) => write!(
                        f,
                        "no permission: {addr} has no ACL 2.0 policy letting {user} {what} ({remark}); grant {user} the `{}` action on {resource}",
                        acl2_action(what)
                    ),
                    None => write!(
                        f,
                        "no permission: the AccessKey lacks the rights to {what} on {addr} ({remark})"
                    ),
                },
                SYSTEM_BUSY => write!(f, "{addr} is busy and refused to {what}: {remark}"),
                REQUEST_CODE_NOT_SUPPORTED => write!(
                    f,
                    "{addr} does not support the request to {what} (an older server?)"
                ),
                TOPIC_NOT_EXIST => write!(f, "{addr}: topic does not exist ({what})"),
                SUBSCRIPTION_GROUP_NOT_EXIST => {
                    write!(f, "{addr}: consumer group does not exist ({what})")
                }
                _ if remark.contains("ccess")
                    || remark.contains("uthenticat")
                    || remark.contains("ignature") =>
                {
                    write!(
                        f,
                        "{addr} refused the credentials to {what}: {remark} (check access_key and the SecretKey)"
                    )
                }
                _ => write!(f, "{addr} failed to {what}: code {code}, {remark}"),
            },
        }
    }
}

impl std::error::Error for RemotingError {}

/// Whether a broker's remark says the credentials themselves were refused (ACL 1.0 and 2.0
/// wordings), not a missing right.
fn wrong_credentials(remark: &str) -> bool {
    let r = remark.to_ascii_lowercase();
    r.contains("credentials are invalid")
        || r.contains("signature")
        || r.contains("user not found")
        // ACL 2.0 (DefaultAuthenticationHandler): "User:migrate is not found."
        || r.starts_with("user:") && r.contains(" is not found")
        || r.contains("accesskey")
            && (r.contains("not exist") || r.contains("not found") || r.contains("invalid"))
}

/// An ACL 2.0 refusal (AclAuthorizationHandler): "User:migrate has no permission to access
/// Topic:T_ORDER from 10.0.0.5, no matched policies." gives the subject and the resource.
fn acl2_denied(remark: &str) -> Option<(&str, &str)> {
    let (user, rest) = remark.split_once(" has no permission to access ")?;
    let (resource, _) = rest.split_once(" from ")?;
    Some((user.trim(), resource.trim()))
}

/// The ACL 2.0 action a request needs (RocketMQ's `@RocketMQAction` on its header): creating
/// needs Create; the whole topic and group tables, List; any other read, Get.
fn acl2_action(what: &str) -> &'static str {
    match what {
        w if w.starts_with("create") => "Create",
        "read topic configs" | "read subscription groups" | "list topics" => "List",
        _ => "Get",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::remoting::command::status::NO_PERMISSION;

    fn refused(remark: &str) -> String {
        RemotingError::Response {
            addr: "10.0.0.1:10911".into(),
            code: NO_PERMISSION,
            remark: remark.into(),
            what: "read topic configs".into(),
        }
        .to_string()
    }

    #[test]
    fn a_wrong_key_is_told_apart_from_a_missing_right() {
        let wrong = refused("Authentication credentials are invalid");
        assert!(
            wrong.starts_with("the SecretKey (or the AccessKey) is wrong"),
            "{wrong}"
        );
        assert!(wrong.contains("read topic configs"), "{wrong}");
        let wrong = refused("check signature failed, accessKey = reader");
        assert!(
            wrong.starts_with("the SecretKey (or the AccessKey) is wrong"),
            "{wrong}"
        );
        // ACL 2.0's own words (auth module, DefaultAuthenticationHandler and
        // AclAuthorizationHandler), as the broker puts them in the remark.
        for wrong in ["User:migrate is not found.", "check signature failed."] {
            assert!(
                refused(wrong).starts_with("the SecretKey (or the AccessKey) is wrong"),
                "{wrong}"
            );
        }
        let denied = refused(
            "User:migrate has no permission to access Topic:T_ORDER from 10.0.0.5, no matched policies.",
        );
        assert!(
            denied.starts_with("no permission: 10.0.0.1:10911 has no ACL 2.0 policy letting User:migrate read topic configs")
                && denied.ends_with("grant User:migrate the `List` action on Topic:T_ORDER"),
            "{denied}"
        );
        assert!(refused("User:migrate is disabled.").starts_with("the account is disabled"));
        let lacks = refused("No permission for topic TBW102: needs SUB");
        assert!(
            lacks
                .starts_with("no permission: the AccessKey lacks the rights to read topic configs"),
            "{lacks}"
        );
    }
}
