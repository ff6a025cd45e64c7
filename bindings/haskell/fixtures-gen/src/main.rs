//! Encodes fixed messages with the Rust side's prost types; the Haskell suite
//! (test/InteropSpec.hs) decodes them and checks every modelled field. The messages
//! also carry fields the Haskell records do not model, which must be skipped.

use mesos_sched::proto::v1;
use prost::Message;
use std::path::Path;

fn id(value: &str) -> String {
    value.to_string()
}

fn scalar(name: &str, value: f64) -> v1::Resource {
    v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        role: Some("*".into()),
        ..Default::default()
    }
}

fn offer() -> v1::Offer {
    let ports = v1::Resource {
        name: "ports".into(),
        r#type: v1::value::Type::Ranges as i32,
        ranges: Some(v1::value::Ranges {
            range: vec![
                v1::value::Range {
                    begin: 31000,
                    end: 32000,
                },
                v1::value::Range {
                    begin: 33000,
                    end: 33005,
                },
            ],
        }),
        ..Default::default()
    };
    let disks = v1::Resource {
        name: "disks".into(),
        r#type: v1::value::Type::Set as i32,
        set: Some(v1::value::Set {
            item: vec!["sda".into(), "sdb".into()],
        }),
        reservation: Some(v1::resource::ReservationInfo {
            principal: Some("ops".into()),
            r#type: Some(v1::resource::reservation_info::Type::Dynamic as i32),
            role: Some("batch".into()),
            ..Default::default()
        }),
        allocation_info: Some(v1::resource::AllocationInfo {
            role: Some("batch".into()),
        }),
        ..Default::default()
    };
    v1::Offer {
        id: v1::OfferId {
            value: id("offer-1"),
        },
        framework_id: v1::FrameworkId { value: id("fw-1") },
        agent_id: v1::AgentId {
            value: id("agent-1"),
        },
        hostname: "host-a".into(),
        url: Some(v1::Url {
            scheme: "http".into(),
            address: v1::Address {
                hostname: Some("host-a".into()),
                ip: Some("127.0.0.1".into()),
                port: 5051,
            },
            path: Some("/slave(1)".into()),
            ..Default::default()
        }),
        resources: vec![scalar("cpus", 2.5), scalar("mem", 1024.0), ports, disks],
        attributes: vec![
            v1::Attribute {
                name: "rack".into(),
                r#type: v1::value::Type::Text as i32,
                text: Some(v1::value::Text { value: "r1".into() }),
                ..Default::default()
            },
            v1::Attribute {
                name: "level".into(),
                r#type: v1::value::Type::Scalar as i32,
                scalar: Some(v1::value::Scalar { value: 3.0 }),
                ..Default::default()
            },
        ],
        executor_ids: vec![v1::ExecutorId {
            value: id("exec-1"),
        }],
        unavailability: Some(v1::Unavailability {
            start: v1::TimeInfo {
                nanoseconds: 1_700_000_000_000_000_000,
            },
            duration: None,
        }),
        allocation_info: Some(v1::resource::AllocationInfo {
            role: Some("*".into()),
        }),
    }
}

fn task_status() -> v1::TaskStatus {
    v1::TaskStatus {
        task_id: v1::TaskId {
            value: id("task-7"),
        },
        state: v1::TaskState::TaskGoneByOperator as i32,
        message: Some("agent marked gone".into()),
        source: Some(v1::task_status::Source::Agent as i32),
        reason: Some(v1::task_status::Reason::MaxCompletionTimeReached as i32),
        data: Some(vec![0, 1, 2, 255]),
        agent_id: Some(v1::AgentId {
            value: id("agent-1"),
        }),
        executor_id: Some(v1::ExecutorId {
            value: id("exec-1"),
        }),
        timestamp: Some(1_700_000_000.25),
        uuid: Some((0u8..16).collect()),
        healthy: Some(true),
        labels: Some(v1::Labels {
            labels: vec![v1::Label {
                key: "k".into(),
                value: Some("v".into()),
            }],
        }),
        unreachable_time: Some(v1::TimeInfo { nanoseconds: 42 }),
    }
}

fn task_status_unknown_enums() -> v1::TaskStatus {
    v1::TaskStatus {
        task_id: v1::TaskId {
            value: id("task-8"),
        },
        state: 99,
        source: Some(7),
        reason: Some(1000),
        ..Default::default()
    }
}

fn master_info() -> v1::MasterInfo {
    v1::MasterInfo {
        id: "master-uuid".into(),
        ip: 16_777_343,
        port: 5050,
        pid: Some("master@127.0.0.1:5050".into()),
        hostname: Some("localhost".into()),
        version: Some("1.12.0".into()),
        address: Some(v1::Address {
            hostname: Some("localhost".into()),
            ip: Some("127.0.0.1".into()),
            port: 5050,
        }),
        capabilities: vec![v1::master_info::Capability {
            r#type: Some(v1::master_info::capability::Type::AgentUpdate as i32),
        }],
    }
}

fn framework_info() -> v1::FrameworkInfo {
    v1::FrameworkInfo {
        user: "alice".into(),
        name: "haskell-fixture".into(),
        id: Some(v1::FrameworkId { value: id("fw-1") }),
        failover_timeout: Some(3600.0),
        checkpoint: Some(true),
        role: Some("batch".into()),
        roles: vec!["batch".into(), "web".into()],
        hostname: Some("host-a".into()),
        principal: Some("alice-principal".into()),
        webui_url: Some("http://host-a:8080".into()),
        capabilities: vec![v1::framework_info::Capability {
            r#type: Some(v1::framework_info::capability::Type::PartitionAware as i32),
        }],
        labels: None,
    }
}

fn task_info() -> v1::TaskInfo {
    v1::TaskInfo {
        name: "sleeper".into(),
        task_id: v1::TaskId {
            value: id("task-1"),
        },
        agent_id: v1::AgentId {
            value: id("agent-1"),
        },
        resources: vec![scalar("cpus", 0.5)],
        command: Some(v1::CommandInfo {
            uris: vec![v1::command_info::Uri {
                value: "http://example.invalid/a.tgz".into(),
                executable: Some(false),
                extract: Some(true),
                cache: Some(true),
                output_file: Some("a.tgz".into()),
            }],
            environment: Some(v1::Environment {
                variables: vec![v1::environment::Variable {
                    name: "GREETING".into(),
                    r#type: Some(v1::environment::variable::Type::Value as i32),
                    value: Some("hello".into()),
                }],
            }),
            shell: Some(false),
            value: Some("/bin/sleep".into()),
            arguments: vec!["sleep".into(), "1".into()],
            user: Some("bob".into()),
        }),
        data: Some(b"payload".to_vec()),
        labels: Some(v1::Labels {
            labels: vec![
                v1::Label {
                    key: "team".into(),
                    value: Some("infra".into()),
                },
                v1::Label {
                    key: "flag".into(),
                    value: None,
                },
            ],
        }),
        kill_policy: Some(v1::KillPolicy {
            grace_period: Some(v1::DurationInfo {
                nanoseconds: 1_000_000_000,
            }),
        }),
        ..Default::default()
    }
}

/// Messages of the public Mesos 1.12 v1 API (include/mesos/v1/mesos.proto) that the
/// main crate's proto/ does not carry yet, declared with prost's derive: only the
/// fields the Haskell records model, under their upstream numbers. Enumerations are
/// int32 fields (the same varint on the wire), so any number can be written.
mod full {
    use mesos_sched::proto::v1;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TaskInfo {
        #[prost(string, required, tag = "1")]
        pub name: String,
        #[prost(message, required, tag = "2")]
        pub task_id: v1::TaskId,
        #[prost(message, required, tag = "3")]
        pub agent_id: v1::AgentId,
        #[prost(message, repeated, tag = "4")]
        pub resources: Vec<v1::Resource>,
        #[prost(message, optional, tag = "7")]
        pub command: Option<v1::CommandInfo>,
        #[prost(message, optional, tag = "8")]
        pub health_check: Option<HealthCheck>,
        #[prost(message, optional, tag = "9")]
        pub container: Option<ContainerInfo>,
        #[prost(message, optional, tag = "10")]
        pub labels: Option<v1::Labels>,
        #[prost(message, optional, tag = "11")]
        pub discovery: Option<DiscoveryInfo>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct HealthCheck {
        #[prost(double, optional, tag = "2")]
        pub delay_seconds: Option<f64>,
        #[prost(double, optional, tag = "3")]
        pub interval_seconds: Option<f64>,
        #[prost(double, optional, tag = "4")]
        pub timeout_seconds: Option<f64>,
        #[prost(uint32, optional, tag = "5")]
        pub consecutive_failures: Option<u32>,
        #[prost(double, optional, tag = "6")]
        pub grace_period_seconds: Option<f64>,
        #[prost(message, optional, tag = "7")]
        pub command: Option<v1::CommandInfo>,
        /// HealthCheck.Type: COMMAND = 1, HTTP = 2, TCP = 3.
        #[prost(int32, optional, tag = "8")]
        pub r#type: Option<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerInfo {
        /// ContainerInfo.Type: DOCKER = 1, MESOS = 2.
        #[prost(int32, required, tag = "1")]
        pub r#type: i32,
        #[prost(message, repeated, tag = "2")]
        pub volumes: Vec<Volume>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Volume {
        #[prost(string, required, tag = "1")]
        pub container_path: String,
        #[prost(string, optional, tag = "2")]
        pub host_path: Option<String>,
        /// Volume.Mode: RW = 1, RO = 2.
        #[prost(int32, required, tag = "3")]
        pub mode: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DiscoveryInfo {
        /// DiscoveryInfo.Visibility: FRAMEWORK = 0, CLUSTER = 1, EXTERNAL = 2.
        #[prost(int32, required, tag = "1")]
        pub visibility: i32,
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
        #[prost(string, optional, tag = "3")]
        pub environment: Option<String>,
        #[prost(string, optional, tag = "4")]
        pub location: Option<String>,
        #[prost(string, optional, tag = "5")]
        pub version: Option<String>,
        #[prost(message, optional, tag = "6")]
        pub ports: Option<Ports>,
        #[prost(message, optional, tag = "7")]
        pub labels: Option<v1::Labels>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Ports {
        #[prost(message, repeated, tag = "1")]
        pub ports: Vec<Port>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Port {
        #[prost(uint32, required, tag = "1")]
        pub number: u32,
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
        #[prost(string, optional, tag = "3")]
        pub protocol: Option<String>,
    }
}

fn label(key: &str, value: Option<&str>) -> v1::Label {
    v1::Label {
        key: key.into(),
        value: value.map(Into::into),
    }
}

fn shell(command: &str) -> v1::CommandInfo {
    v1::CommandInfo {
        value: Some(command.into()),
        ..Default::default()
    }
}

/// A task in an image-less MESOS container with an environment, a COMMAND health
/// check, labels and discovery information; the Haskell suite encodes the same
/// task and compares the bytes.
fn task_info_full() -> full::TaskInfo {
    let variable = |name: &str, value: &str| v1::environment::Variable {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    };
    full::TaskInfo {
        name: "web".into(),
        task_id: v1::TaskId { value: id("web-1") },
        agent_id: v1::AgentId {
            value: id("agent-1"),
        },
        resources: vec![
            v1::Resource {
                role: None,
                ..scalar("cpus", 0.5)
            },
            v1::Resource {
                role: None,
                ..scalar("mem", 64.0)
            },
        ],
        command: Some(v1::CommandInfo {
            uris: vec![v1::command_info::Uri {
                value: "http://example.invalid/app.tgz".into(),
                extract: Some(true),
                ..Default::default()
            }],
            environment: Some(v1::Environment {
                variables: vec![variable("PORT", "8080"), variable("MODE", "test")],
            }),
            user: Some("app".into()),
            ..shell("python3 -m http.server $PORT")
        }),
        health_check: Some(full::HealthCheck {
            delay_seconds: Some(5.0),
            interval_seconds: Some(10.0),
            timeout_seconds: Some(2.0),
            consecutive_failures: Some(3),
            grace_period_seconds: Some(30.0),
            command: Some(shell("curl -f localhost:8080")),
            r#type: Some(1),
        }),
        container: Some(full::ContainerInfo {
            r#type: 2,
            volumes: vec![full::Volume {
                container_path: "/data".into(),
                host_path: Some("/srv/data".into()),
                mode: 2,
            }],
        }),
        labels: Some(v1::Labels {
            labels: vec![label("team", Some("infra")), label("flag", None)],
        }),
        discovery: Some(full::DiscoveryInfo {
            visibility: 1,
            name: Some("web".into()),
            environment: Some("test".into()),
            location: None,
            version: Some("1.0".into()),
            ports: Some(full::Ports {
                ports: vec![full::Port {
                    number: 8080,
                    name: Some("http".into()),
                    protocol: Some("tcp".into()),
                }],
            }),
            labels: Some(v1::Labels {
                labels: vec![label("tier", Some("frontend"))],
            }),
        }),
    }
}

/// The same kinds of fields with enumeration numbers nobody knows.
fn task_info_unknown_enums() -> full::TaskInfo {
    full::TaskInfo {
        name: "odd".into(),
        task_id: v1::TaskId { value: id("odd-1") },
        agent_id: v1::AgentId {
            value: id("agent-1"),
        },
        resources: vec![],
        command: Some(shell("true")),
        health_check: Some(full::HealthCheck {
            r#type: Some(42),
            ..Default::default()
        }),
        container: Some(full::ContainerInfo {
            r#type: 77,
            volumes: vec![full::Volume {
                container_path: "/x".into(),
                host_path: None,
                mode: 9,
            }],
        }),
        labels: None,
        discovery: Some(full::DiscoveryInfo {
            visibility: 5,
            ..Default::default()
        }),
    }
}

fn write(dir: &Path, name: &str, message: &impl Message) {
    let path = dir.join(name);
    std::fs::write(&path, message.encode_to_vec())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("wrote {}", path.display());
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: mesos-sched-haskell-fixtures OUTPUT_DIR");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("creating the output directory");
    write(dir, "offer.bin", &offer());
    write(dir, "task_status.bin", &task_status());
    write(
        dir,
        "task_status_unknown_enums.bin",
        &task_status_unknown_enums(),
    );
    write(dir, "master_info.bin", &master_info());
    write(dir, "framework_info.bin", &framework_info());
    write(dir, "task_info.bin", &task_info());
    write(dir, "task_info_full.bin", &task_info_full());
    write(
        dir,
        "task_info_unknown_enums.bin",
        &task_info_unknown_enums(),
    );
}
