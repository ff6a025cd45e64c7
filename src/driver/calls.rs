//! Building call envelopes from the user's opaque bytes, validating arguments, and the
//! few edits the driver makes to a serialized FrameworkInfo (by appending fields, never
//! by re-encoding, so nothing the user set is lost).

use bytes::Bytes;
use prost::Message;

use super::Error;
use crate::proto::envelope::{self, call, CredentialPeek, FrameworkInfoPeek, IdPeek};
use crate::proto::v1;

/// mesos.v1.scheduler.Call.Type values.
pub(crate) mod call_type {
    pub const SUBSCRIBE: i32 = 1;
    pub const TEARDOWN: i32 = 2;
    pub const ACCEPT: i32 = 3;
    pub const DECLINE: i32 = 4;
    pub const REVIVE: i32 = 5;
    pub const KILL: i32 = 6;
    pub const ACKNOWLEDGE: i32 = 8;
    pub const RECONCILE: i32 = 9;
    pub const MESSAGE: i32 = 10;
    pub const REQUEST: i32 = 11;
    pub const SUPPRESS: i32 = 12;
    pub const UPDATE_FRAMEWORK: i32 = 17;
}

/// mesos.v1.scheduler.Event.Type values.
pub(crate) mod event_type {
    pub const SUBSCRIBED: i32 = 1;
    pub const OFFERS: i32 = 2;
    pub const RESCIND: i32 = 3;
    pub const UPDATE: i32 = 4;
    pub const MESSAGE: i32 = 5;
    pub const FAILURE: i32 = 6;
    pub const ERROR: i32 = 7;
    pub const HEARTBEAT: i32 = 8;
    pub const INVERSE_OFFERS: i32 = 9;
    pub const RESCIND_INVERSE_OFFER: i32 = 10;
    pub const UPDATE_OPERATION_STATUS: i32 = 11;
}

/// Offer.Operation.Type values the driver looks at.
pub(crate) const OPERATION_LAUNCH: i32 = 1;
pub(crate) const OPERATION_LAUNCH_GROUP: i32 = 6;
const CAPABILITY_PARTITION_AWARE: i32 = 5;
const TASK_LOST: i32 = 5;
const TASK_DROPPED: i32 = 9;
const SOURCE_MASTER: i32 = 0;
const REASON_MASTER_DISCONNECTED: i32 = 7;

/// Checks that `bytes` decode as the typed message `M`; the result is discarded.
pub(crate) fn validate<M: Message + Default>(what: &str, bytes: &[u8]) -> Result<(), Error> {
    M::decode(bytes)
        .map(drop)
        .map_err(|e| Error::InvalidArgument(format!("{what}: not a valid message: {e}")))
}

pub(crate) fn validate_all<M: Message + Default>(what: &str, items: &[&[u8]]) -> Result<(), Error> {
    for (index, item) in items.iter().enumerate() {
        validate::<M>(&format!("{what}[{index}]"), item)?;
    }
    Ok(())
}

pub(crate) fn validate_any(what: &str, bytes: &[u8]) -> Result<(), Error> {
    validate::<envelope::AnyMessage>(what, bytes)
}

fn peek<M: Message + Default>(bytes: &[u8]) -> M {
    // Only called on bytes that passed the typed validation, which is stricter.
    M::decode(bytes).unwrap_or_default()
}

/// What the driver needs to know of the FrameworkInfo.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FrameworkFacts {
    pub partition_aware: bool,
    pub roles: Vec<String>,
    pub failover_timeout: f64,
    /// The serialized FrameworkID the FrameworkInfo carries, if any.
    pub id: Option<Bytes>,
}

/// Validates a FrameworkInfo, fills an empty user/hostname from the OS (by appending
/// fields) and reports the facts the driver needs.
pub(crate) fn prepare_framework_info(bytes: &[u8]) -> Result<(Vec<u8>, FrameworkFacts), Error> {
    validate::<v1::FrameworkInfo>("framework_info", bytes)?;
    let info: FrameworkInfoPeek = peek(bytes);
    let mut filled = bytes.to_vec();
    if info.user.as_deref().unwrap_or("").is_empty() {
        prost::encoding::string::encode(1, &os_user(), &mut filled);
    }
    if info.hostname.as_deref().unwrap_or("").is_empty() {
        prost::encoding::string::encode(7, &os_hostname(), &mut filled);
    }
    let mut roles = info.roles.clone();
    if roles.is_empty() {
        if let Some(role) = info.role.clone().filter(|r| !r.is_empty()) {
            roles.push(role);
        }
    }
    let facts = FrameworkFacts {
        partition_aware: info
            .capabilities
            .iter()
            .any(|c| c.r#type == Some(CAPABILITY_PARTITION_AWARE)),
        roles,
        failover_timeout: info.failover_timeout.unwrap_or(0.0),
        id: info.id.filter(|id| !id_value(id).is_empty()),
    };
    Ok((filled, facts))
}

/// Appends `id` (a serialized FrameworkID) as field 3: the last value wins on decode.
pub(crate) fn with_framework_id(framework_info: &[u8], id: Option<&Bytes>) -> Bytes {
    let mut out = Vec::with_capacity(framework_info.len() + 64);
    out.extend_from_slice(framework_info);
    if let Some(id) = id {
        prost::encoding::bytes::encode(3, id, &mut out);
    }
    Bytes::from(out)
}

/// The `value` of an id message (FrameworkID, TaskID...), "" if absent or unreadable.
pub(crate) fn id_value(bytes: &[u8]) -> String {
    IdPeek::decode(bytes)
        .ok()
        .and_then(|id| id.value)
        .unwrap_or_default()
}

/// (principal, secret) of a serialized Credential (v0 or v1).
pub(crate) fn parse_credential(bytes: &[u8]) -> Result<(String, Vec<u8>), Error> {
    let credential = CredentialPeek::decode(bytes)
        .map_err(|e| Error::InvalidArgument(format!("credential: not a valid message: {e}")))?;
    let principal = credential.principal.unwrap_or_default();
    if principal.is_empty() {
        return Err(Error::InvalidArgument(
            "credential: the principal is empty".to_string(),
        ));
    }
    Ok((
        principal,
        credential.secret.map(|s| s.to_vec()).unwrap_or_default(),
    ))
}

/// The envelope of a call of `kind` for framework `framework_id`.
pub(crate) fn new_call(kind: i32, framework_id: Option<&Bytes>) -> envelope::Call {
    envelope::Call {
        framework_id: framework_id.cloned(),
        r#type: Some(kind),
        ..Default::default()
    }
}

pub(crate) fn subscribe_call(
    framework_info: Bytes,
    framework_id: Option<&Bytes>,
    suppressed_roles: Vec<String>,
    offer_constraints: Option<Bytes>,
) -> Vec<u8> {
    let mut envelope = new_call(call_type::SUBSCRIBE, framework_id);
    envelope.subscribe = Some(call::Subscribe {
        framework_info,
        suppressed_roles,
        offer_constraints,
    });
    envelope.encode_to_vec()
}

pub(crate) fn copy(bytes: &[u8]) -> Bytes {
    Bytes::copy_from_slice(bytes)
}

pub(crate) fn copy_all(items: &[&[u8]]) -> Vec<Bytes> {
    items.iter().map(|item| copy(item)).collect()
}

/// The serialized Offer.Operation LAUNCH holding `tasks` as they are.
pub(crate) fn launch_operation(tasks: &[&[u8]]) -> Bytes {
    let operation = envelope::OperationPeek {
        r#type: Some(OPERATION_LAUNCH),
        launch: Some(envelope::operation_peek::Launch {
            task_infos: copy_all(tasks),
        }),
        ..Default::default()
    };
    Bytes::from(operation.encode_to_vec())
}

/// Validates operations: typed decode, and no `id` (the classic driver refused those).
pub(crate) fn validate_operations(operations: &[&[u8]]) -> Result<(), Error> {
    validate_all::<v1::offer::Operation>("operations", operations)?;
    for (index, operation) in operations.iter().enumerate() {
        let peeked: envelope::OperationPeek = peek(operation);
        if peeked.id.is_some() {
            return Err(Error::InvalidArgument(format!(
                "operations[{index}]: an offer operation's 'id' field is set, which the \
                 scheduler driver does not allow (it cannot handle operation status updates)"
            )));
        }
    }
    Ok(())
}

/// The serialized TaskIDs of every task that LAUNCH / LAUNCH_GROUP operations start.
pub(crate) fn launched_task_ids(operations: &[&[u8]]) -> Vec<Bytes> {
    let mut ids = Vec::new();
    for operation in operations {
        let peeked: envelope::OperationPeek = peek(operation);
        let tasks: Vec<Bytes> = match peeked.r#type {
            Some(OPERATION_LAUNCH) => peeked.launch.map(|l| l.task_infos).unwrap_or_default(),
            Some(OPERATION_LAUNCH_GROUP) => peeked
                .launch_group
                .and_then(|g| g.task_group)
                .map(|g| g.tasks)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for task in tasks {
            let info: envelope::TaskInfoPeek = peek(&task);
            if let Some(task_id) = info.task_id {
                ids.push(task_id);
            }
        }
    }
    ids
}

/// The TaskStatus the classic driver synthesizes for a task launched while disconnected.
pub(crate) fn master_disconnected_status(task_id: &[u8], partition_aware: bool) -> Vec<u8> {
    use prost::encoding::{bytes as pb_bytes, double, int32, string};
    let mut out = Vec::with_capacity(task_id.len() + 64);
    pb_bytes::encode(1, &Bytes::copy_from_slice(task_id), &mut out);
    let state = if partition_aware {
        TASK_DROPPED
    } else {
        TASK_LOST
    };
    int32::encode(2, &state, &mut out);
    string::encode(4, &"Master disconnected".to_string(), &mut out);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    double::encode(6, &now, &mut out);
    int32::encode(9, &SOURCE_MASTER, &mut out);
    int32::encode(10, &REASON_MASTER_DISCONNECTED, &mut out);
    out
}

/// An ACKNOWLEDGE call, and which task it is for.
pub(crate) struct Acknowledgement {
    pub body: Vec<u8>,
    /// A hash of the agent and task ids: equal for every acknowledgement of one task.
    pub task_key: u64,
}

/// What the acknowledgement of a TaskStatus names.
pub(crate) struct AckTarget {
    acknowledge: call::Acknowledge,
}

/// The acknowledgement a TaskStatus needs, if any (uuid and agent id set).
pub(crate) fn ack_target(status: &[u8]) -> Option<AckTarget> {
    let peeked: envelope::TaskStatusPeek = envelope::TaskStatusPeek::decode(status).ok()?;
    let uuid = peeked.uuid.filter(|uuid| !uuid.is_empty())?;
    let agent_id = peeked.agent_id?;
    let task_id = peeked.task_id.unwrap_or_default();
    Some(AckTarget {
        acknowledge: call::Acknowledge {
            agent_id,
            task_id,
            uuid,
        },
    })
}

impl AckTarget {
    /// The ACKNOWLEDGE call of this framework.
    pub fn call(self, framework_id: Option<&Bytes>) -> Acknowledgement {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.acknowledge.agent_id.hash(&mut hasher);
        self.acknowledge.task_id.hash(&mut hasher);
        let task_key = hasher.finish();
        let mut envelope = new_call(call_type::ACKNOWLEDGE, framework_id);
        envelope.acknowledge = Some(self.acknowledge);
        Acknowledgement {
            body: envelope.encode_to_vec(),
            task_key,
        }
    }
}

/// The name of the current OS user (as the classic driver fills FrameworkInfo.user).
pub(crate) fn os_user() -> String {
    // SAFETY: getpwuid_r writes into our buffer and the passwd struct; we read pw_name
    // only when it reported success with a non-null result.
    unsafe {
        let uid = libc::getuid();
        let mut buffer = vec![0 as libc::c_char; 16 * 1024];
        let mut passwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            uid,
            &mut passwd,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut result,
        );
        if rc == 0 && !result.is_null() && !passwd.pw_name.is_null() {
            if let Ok(name) = std::ffi::CStr::from_ptr(passwd.pw_name).to_str() {
                return name.to_string();
            }
        }
        std::env::var("USER").unwrap_or_else(|_| uid.to_string())
    }
}

/// The host name (as the classic driver fills FrameworkInfo.hostname).
pub(crate) fn os_hostname() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success
    // (we also cap the search at the buffer's end).
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if rc == 0 {
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
        if let Ok(name) = std::str::from_utf8(&buffer[..end]) {
            if !name.is_empty() {
                return name.to_string();
            }
        }
    }
    "localhost".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framework_info(user: &str, hostname: Option<&str>) -> Vec<u8> {
        v1::FrameworkInfo {
            user: user.into(),
            name: "test".into(),
            hostname: hostname.map(str::to_string),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn fills_user_and_hostname_by_appending() {
        let original = framework_info("", None);
        let (filled, facts) = prepare_framework_info(&original).unwrap();
        assert!(filled.starts_with(&original));
        let decoded = v1::FrameworkInfo::decode(filled.as_slice()).unwrap();
        assert_eq!(decoded.user, os_user());
        assert_eq!(decoded.hostname.as_deref(), Some(os_hostname().as_str()));
        assert!(!facts.partition_aware);
        assert!(facts.id.is_none());

        let original = framework_info("alice", Some("box"));
        let (filled, _) = prepare_framework_info(&original).unwrap();
        assert_eq!(filled, original);
    }

    #[test]
    fn unknown_fields_survive_and_id_is_appended() {
        let mut original = framework_info("u", Some("h"));
        prost::encoding::string::encode(999, &"future".to_string(), &mut original);
        let (filled, _) = prepare_framework_info(&original).unwrap();
        let id = Bytes::from(
            v1::FrameworkId {
                value: "fw-1".into(),
            }
            .encode_to_vec(),
        );
        let with_id = with_framework_id(&filled, Some(&id));
        assert!(with_id.starts_with(&original));
        let decoded = v1::FrameworkInfo::decode(with_id.clone()).unwrap();
        assert_eq!(decoded.id.unwrap().value, "fw-1");
        // A later id replaces an earlier one.
        let other = Bytes::from(
            v1::FrameworkId {
                value: "fw-2".into(),
            }
            .encode_to_vec(),
        );
        let twice = with_framework_id(&with_id, Some(&other));
        assert_eq!(
            v1::FrameworkInfo::decode(twice).unwrap().id.unwrap().value,
            "fw-2"
        );
    }

    #[test]
    fn facts() {
        let info = v1::FrameworkInfo {
            user: "u".into(),
            name: "n".into(),
            failover_timeout: Some(30.0),
            roles: vec!["a".into(), "b".into()],
            capabilities: vec![v1::framework_info::Capability { r#type: Some(5) }],
            id: Some(v1::FrameworkId { value: "x".into() }),
            ..Default::default()
        };
        let (_, facts) = prepare_framework_info(&info.encode_to_vec()).unwrap();
        assert!(facts.partition_aware);
        assert_eq!(facts.roles, ["a", "b"]);
        assert_eq!(facts.failover_timeout, 30.0);
        assert_eq!(id_value(facts.id.as_ref().unwrap()), "x");
        assert!(prepare_framework_info(b"\xff\xff").is_err());
    }

    #[test]
    fn operations_and_synthesized_statuses() {
        let task = v1::TaskInfo {
            name: "t".into(),
            task_id: v1::TaskId { value: "t1".into() },
            agent_id: v1::AgentId { value: "a1".into() },
            ..Default::default()
        }
        .encode_to_vec();
        let launch = launch_operation(&[&task]);
        validate_operations(&[&launch]).unwrap();
        let typed = v1::offer::Operation::decode(launch.clone()).unwrap();
        assert_eq!(typed.r#type, Some(OPERATION_LAUNCH));
        assert_eq!(launch_task_id_values(&[&launch]), ["t1"]);

        let mut with_id = launch.to_vec();
        prost::encoding::bytes::encode(12, &Bytes::from_static(b"\x0a\x01x"), &mut with_id);
        assert_eq!(validate_operations(&[&with_id]).unwrap_err().code(), -2);

        let status =
            master_disconnected_status(&v1::TaskId { value: "t1".into() }.encode_to_vec(), true);
        let typed = v1::TaskStatus::decode(status.as_slice()).unwrap();
        assert_eq!(typed.state, TASK_DROPPED);
        assert_eq!(typed.reason, Some(REASON_MASTER_DISCONNECTED));
        assert_eq!(typed.source, Some(SOURCE_MASTER));
        assert_eq!(typed.message.as_deref(), Some("Master disconnected"));
        assert!(typed.uuid.is_none());
        assert!(ack_target(&status).is_none());
    }

    fn launch_task_id_values(operations: &[&[u8]]) -> Vec<String> {
        launched_task_ids(operations)
            .iter()
            .map(|id| id_value(id))
            .collect()
    }

    #[test]
    fn credentials() {
        let credential = v1::Credential {
            principal: "p".into(),
            secret: Some("s".into()),
        };
        assert_eq!(
            parse_credential(&credential.encode_to_vec()).unwrap(),
            ("p".to_string(), b"s".to_vec())
        );
        assert!(parse_credential(&[]).is_err());
    }
}
