//! mesos-local's memory stays bounded over many framework lifetimes (register, launch
//! simulated tasks, acknowledge their updates, tear down): the binary's RSS stays flat,
//! and what an in-process cluster keeps (frameworks, tasks, timers, removed ids) returns
//! to its baseline after each lifetime.

mod local_common;
use local_common::*;
use mesos_sched::local::{KeptState, LocalConfig};
use mesos_sched::proto::scheduler::{call, event, Call};
use mesos_sched::proto::v1;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mesos-local");

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_binary(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("mesos-local: listening on ")
        .unwrap_or_else(|| panic!("ready line, got {line:?}"))
        .to_string();
    Running { child, url }
}

fn is_terminal(state: v1::TaskState) -> bool {
    use v1::TaskState::*;
    matches!(
        state,
        TaskFinished | TaskFailed | TaskKilled | TaskError | TaskLost | TaskDropped | TaskGone
    )
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Calls on one keep-alive connection (a connection per call would make the soak slow).
struct Caller {
    agent: ureq::Agent,
    url: String,
    stream_id: String,
    framework_id: Option<v1::FrameworkId>,
}

impl Caller {
    fn new(stream: &Stream) -> Caller {
        Caller {
            agent: agent(Some(SECS5)),
            url: scheduler_url(&stream.base),
            stream_id: stream.stream_id.clone(),
            framework_id: stream.fid(),
        }
    }
    /// Sends the call as JSON (as most HTTP clients do); returns the status code.
    fn send(&self, kind: call::Type, fill: impl FnOnce(&mut Call)) -> u16 {
        let mut c = Call {
            framework_id: self.framework_id.clone(),
            r#type: Some(kind as i32),
            ..Default::default()
        };
        fill(&mut c);
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", JSON)
            .header("Mesos-Stream-Id", &self.stream_id)
            .send(&encode_call(&c, JSON)[..])
            .expect("call answered");
        let _ = response.body_mut().read_to_vec();
        response.status().as_u16()
    }
}

/// Bytes of `TaskInfo.data` per task: the launch call's body is large, so a master that
/// keeps every call body shows it in its RSS quickly.
const TASK_DATA_BYTES: usize = 4096;

/// One framework lifetime: subscribe, launch `tasks` simulated tasks on the first offer,
/// acknowledge every update until all are terminal, then TEARDOWN (or, with
/// `ack_all == false`, tear down with updates still unacknowledged).
fn lifetime(base: &str, info: v1::FrameworkInfo, tasks: usize, ack_all: bool) {
    let mut stream = Stream::subscribe(base, info);
    let caller = Caller::new(&stream);
    let offers = stream.offers(SECS5);
    let offer = &offers[0];
    let infos: Vec<v1::TaskInfo> = (0..tasks)
        .map(|i| v1::TaskInfo {
            resources: vec![scalar("cpus", 0.01), scalar("mem", 1.0)],
            data: Some(vec![b'x'; TASK_DATA_BYTES]),
            ..command_task(&format!("task-{i}"), offer, "ignored", 0.01)
        })
        .collect();
    let launched = caller.send(call::Type::Accept, |c| {
        c.accept = Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![v1::offer::Operation {
                r#type: Some(v1::offer::operation::Type::Launch as i32),
                launch: Some(v1::offer::operation::Launch { task_infos: infos }),
                ..Default::default()
            }],
            // The rest of the offer comes back soon (the default filter holds it 5 s).
            filters: Some(v1::Filters {
                refuse_seconds: Some(0.0),
            }),
        })
    });
    assert_eq!(launched, 202);
    let mut terminal = 0;
    while ack_all && terminal < tasks {
        let status = stream
            .expect(event::Type::Update, SECS5)
            .update
            .unwrap()
            .status;
        if let Some(uuid) = &status.uuid {
            let acked = caller.send(call::Type::Acknowledge, |c| {
                c.acknowledge = Some(call::Acknowledge {
                    agent_id: status.agent_id.clone().unwrap(),
                    task_id: status.task_id.clone(),
                    uuid: uuid.clone(),
                })
            });
            assert_eq!(acked, 202);
        }
        if is_terminal(state_of(&status)) {
            terminal += 1;
        }
    }
    if !ack_all {
        // At least one update in flight (unacknowledged, so retried by a timer).
        stream.expect(event::Type::Update, SECS5);
    }
    assert_eq!(caller.send(call::Type::Teardown, |_| {}), 202);
    stream.drain_to_end(SECS5);
}

#[test]
fn binary_rss_stays_flat_over_framework_lifetimes() {
    let master = run_binary(&["--port", "0", "--simulate=1", "--log-level", "off"]);
    let pid = master.child.id();
    // Past the warm-up the bounded history (1000 completed tasks) is full.
    const WARM_UP: usize = 20;
    const LIFETIMES: usize = 50;
    const TASKS: usize = 100;
    let mut after_warm_up = 0;
    for round in 0..LIFETIMES {
        lifetime(&master.url, framework_info("soak"), TASKS, true);
        if round + 1 == WARM_UP {
            after_warm_up = rss_kib(pid);
        }
    }
    let at_end = rss_kib(pid);
    let state = get(&format!("{}/state", master.url));
    let state: serde_json::Value = serde_json::from_slice(&state.body).unwrap();
    assert_eq!(state["frameworks"].as_array().map(Vec::len), Some(0));
    // Each lifetime's calls carry over 400 KiB of bodies: keeping them (as mesos-local
    // once did) grows RSS by about 12 MiB after the warm-up; the allocator's own
    // steps (arenas, trim thresholds) stay below the tolerance.
    let growth = at_end.saturating_sub(after_warm_up);
    eprintln!("mesos-local RSS: {after_warm_up} KiB after warm-up, {at_end} KiB at the end");
    assert!(
        growth < 5 * 1024,
        "RSS grew by {growth} KiB over {} lifetimes ({after_warm_up} -> {at_end} KiB)",
        LIFETIMES - WARM_UP
    );
}

fn assert_back_to_baseline(kept: KeptState, baseline: KeptState) {
    assert_eq!(kept.frameworks, 0, "{kept:?}");
    assert_eq!(kept.tasks, 0, "{kept:?}");
    assert_eq!(kept.offers, 0, "{kept:?}");
    assert_eq!(kept.timers, baseline.timers, "{kept:?}");
    assert_eq!(kept.recorded_call_bytes, 0, "{kept:?}");
}

#[test]
fn kept_state_returns_to_baseline_after_each_lifetime() {
    let cluster = start(LocalConfig {
        simulate: Some(Duration::from_millis(1)),
        // Retries of unacknowledged updates would fire long after the test.
        status_update_retry: Duration::from_secs(600),
        record_calls: false,
        ..config()
    });
    let baseline = cluster.kept_state();
    let base = cluster.leader_url();
    let week = Some(7.0 * 86400.0);
    for round in 0..10 {
        // A long failover timeout, updates left unacknowledged: TEARDOWN must still
        // drop the framework's timers (retries, simulated ends, failover timeout).
        let info = v1::FrameworkInfo {
            failover_timeout: week,
            ..framework_info("soak")
        };
        lifetime(&base, info, 20, round % 2 == 0);
        assert!(cluster.wait_until(SECS5, |s| s["frameworks"]
            .as_array()
            .is_some_and(Vec::is_empty)));
        // Timers not tied to a framework (re-offers) fire within a moment.
        let deadline = Instant::now() + SECS5;
        while cluster.kept_state().timers != baseline.timers && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_back_to_baseline(cluster.kept_state(), baseline);
    }
    // A framework that reconnects many times under a long failover timeout leaves one
    // failover timer at most.
    let info = v1::FrameworkInfo {
        failover_timeout: week,
        ..framework_info("reconnecting")
    };
    let first = Stream::subscribe(&base, info.clone());
    let id = first.fid();
    drop(first);
    for _ in 0..20 {
        assert!(cluster.wait_until(SECS5, |s| s["frameworks"][0]["connected"] == false));
        let again = Stream::subscribe(
            &base,
            v1::FrameworkInfo {
                id: id.clone(),
                ..info.clone()
            },
        );
        drop(again);
    }
    assert!(cluster.wait_until(SECS5, |s| s["frameworks"][0]["connected"] == false));
    let kept = cluster.kept_state();
    assert!(
        kept.timers <= baseline.timers + 1,
        "failover timers pile up: {kept:?}"
    );
}

#[test]
fn removed_framework_ids_are_bounded() {
    let cluster = start(LocalConfig {
        record_calls: false,
        agents: 0,
        ..config()
    });
    let base = cluster.leader_url();
    let first = Stream::subscribe(&base, framework_info("first"));
    let first_id = first.fid();
    assert_eq!(first.send(call::Type::Teardown, |_| {}).status, 202);
    drop(first);
    // A removed framework may not come back.
    let mut refused = Stream::open(
        &base,
        &subscribe_call(v1::FrameworkInfo {
            id: first_id.clone(),
            ..framework_info("first")
        }),
        PROTOBUF,
        Some(PROTOBUF),
    );
    let error = refused.expect(event::Type::Error, SECS5).error.unwrap();
    assert_eq!(error.message, "Framework has been removed");
    for _ in 0..1050 {
        let s = Stream::subscribe(&base, framework_info("many"));
        assert_eq!(s.send(call::Type::Teardown, |_| {}).status, 202);
    }
    let kept = cluster.kept_state();
    assert_eq!(kept.removed_framework_ids, 1000, "{kept:?}");
    assert_eq!(kept.frameworks, 0, "{kept:?}");
}
