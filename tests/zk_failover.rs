//! End-to-end HA through a real ZooKeeper (MESOS_SCHED_TEST_ZK): the local cluster's
//! masters register in ZooKeeper (in process, and `mesos-local --zk`), the driver finds
//! the leader there, and when the leading master stops mid-run the framework keeps its
//! id, sees disconnected -> reregistered, its tasks finish, every update arrives and
//! is acknowledged exactly once.
#![cfg(feature = "zookeeper")]

mod common;
mod zk_common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use mesos_sched::detector::zk::ZkDetector;
use mesos_sched::detector::Detector;
use mesos_sched::local::zk::ZkLocalCluster;
use mesos_sched::local::LocalConfig;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Status};
use prost::Message;
use zk_common::*;

const WAIT: Duration = Duration::from_secs(20);
const TASKS: [&str; 3] = ["a", "b", "c"];

/// Launches the three tasks on the first offer, declines the rest.
fn launcher() -> impl FnMut(&Driver, &Seen) + Send {
    let launched = AtomicUsize::new(0);
    move |driver, seen| {
        if let Seen::Offers(offers) = seen {
            for offer in offers {
                if launched.fetch_add(1, Ordering::SeqCst) == 0 {
                    let infos: Vec<Vec<u8>> = TASKS
                        .iter()
                        .map(|id| command_task(offer, id, "sleep 3", &[]))
                        .collect();
                    let refs: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
                    driver
                        .launch_tasks(&[&offer_id(offer)], &refs, None)
                        .unwrap();
                } else {
                    driver.decline_offer(&offer_id(offer), None).unwrap();
                }
            }
        }
    }
}

/// ACKNOWLEDGE calls the masters received, by status uuid.
fn acknowledgements(cluster: &ZkLocalCluster) -> HashMap<Vec<u8>, usize> {
    let mut acks = HashMap::new();
    for (_, body) in cluster.received_calls() {
        let Ok(call) = scheduler::Call::decode(body.as_slice()) else {
            continue;
        };
        if call.r#type == Some(scheduler::call::Type::Acknowledge as i32) {
            let uuid = call.acknowledge.expect("acknowledge").uuid;
            *acks.entry(uuid.to_vec()).or_default() += 1;
        }
    }
    acks
}

#[test]
fn zk_leader_failover_mid_run_with_tasks_running() {
    let path = unique_path("failover");
    let url = format!("zk://{}{path}", zk_server());
    let cluster = ZkLocalCluster::start(LocalConfig {
        zk: Some(url.clone()),
        masters: 2,
        agents: 1,
        status_update_retry: Duration::from_millis(300),
        ..LocalConfig::default()
    })
    .expect("cluster registered in ZooKeeper");
    let masters = cluster.master_urls();
    assert_eq!(cluster.zookeeper().unwrap().leader(), Some(0));
    assert_eq!(cluster.leader_url(), masters[0]);

    let (recorder, log) = Recorder::with_hook(launcher());
    let info = v1::FrameworkInfo {
        failover_timeout: Some(300.0),
        ..framework_info("zk-failover")
    };
    let driver = Driver::new(Box::new(recorder), &encode(&info), &url, None, true).unwrap();
    fast_options(&driver);
    assert_eq!(driver.start(), Status::Running);
    assert!(
        log.wait_for(WAIT, |seen| TASKS.iter().all(|t| has_state(
            seen,
            t,
            v1::TaskState::TaskRunning
        ))),
        "tasks did not start: {:?}",
        log.all()
    );
    let framework_id = match &log.all()[0] {
        Seen::Registered { framework_id, .. } => framework_id.clone(),
        other => panic!("first callback {other:?}"),
    };

    // The leading master stops: its ZooKeeper session closes, master 1 is elected.
    cluster.stop_master(0);
    assert_eq!(cluster.zookeeper().unwrap().leader(), Some(1));
    assert_eq!(cluster.leader_url(), masters[1]);
    assert!(
        log.wait_for(WAIT, |seen| seen.contains(&Seen::Reregistered)),
        "{:?}",
        log.all()
    );
    assert!(
        log.wait_for(WAIT, |seen| TASKS.iter().all(|t| has_state(
            seen,
            t,
            v1::TaskState::TaskFinished
        ))),
        "tasks did not finish: {:?}",
        log.all()
    );

    let seen = log.all();
    let lifecycle: Vec<&Seen> = seen
        .iter()
        .filter(|s| {
            matches!(
                s,
                Seen::Registered { .. } | Seen::Reregistered | Seen::Disconnected
            )
        })
        .collect();
    assert!(
        matches!(
            lifecycle.as_slice(),
            [
                Seen::Registered { .. },
                Seen::Disconnected,
                Seen::Reregistered
            ]
        ),
        "{lifecycle:?}"
    );
    assert!(!seen.iter().any(|s| matches!(s, Seen::Error { .. })));
    assert_eq!(
        cluster.framework_ids(),
        vec![framework_id.clone()],
        "same id"
    );
    // Every state of every task arrives, in order. An acknowledgement lost in the
    // failover (sent to the old master) makes the agent send that update again: the
    // same state may then arrive twice in a row (at-least-once, as in Mesos).
    for task in TASKS {
        let mut states = states_of(&seen, task);
        states.dedup();
        let expected: Vec<i32> = [
            v1::TaskState::TaskStarting,
            v1::TaskState::TaskRunning,
            v1::TaskState::TaskFinished,
        ]
        .iter()
        .map(|s| *s as i32)
        .filter(|s| *s != v1::TaskState::TaskStarting as i32 || states.contains(s))
        .collect();
        assert_eq!(states, expected, "task {task}: states in order, none lost");
    }

    // Nothing left unacknowledged at the master...
    assert!(cluster.wait_until(WAIT, |state| {
        state["frameworks"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["id"] == framework_id.as_str()))
            .is_some_and(|f| f["unacknowledged_updates"] == 0)
    }));
    // ...and the driver acknowledged each delivery at most once (no replayed or
    // duplicate ACKNOWLEDGE), every update at least once.
    let acks = acknowledgements(&cluster);
    // Taken after the acknowledgements: an update's callback is logged before its ack.
    let seen = log.all();
    let mut deliveries: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut described: HashMap<Vec<u8>, String> = HashMap::new();
    for s in &seen {
        if let Seen::Update(status, _) = s {
            let uuid = status.uuid.clone().expect("agent updates carry a uuid");
            *deliveries.entry(uuid.to_vec()).or_default() += 1;
            described.insert(
                uuid.to_vec(),
                format!("task {} state {}", status.task_id.value, status.state),
            );
        }
    }
    assert!(deliveries.len() >= 2 * TASKS.len());
    for (uuid, delivered) in &deliveries {
        let acked = acks.get(uuid).copied().unwrap_or(0);
        assert!(
            (1..=*delivered).contains(&acked),
            "{}: delivered {delivered} times, acknowledged {acked} times; callbacks: {seen:?}",
            described[uuid]
        );
    }
    assert!(
        acks.keys().all(|uuid| deliveries.contains_key(uuid)),
        "acknowledgements of updates never delivered: {acks:?}"
    );
    assert_eq!(driver.stop(false), Status::Stopped);
}

#[test]
fn zk_mesos_local_binary_registers_its_masters() {
    let path = unique_path("binary");
    let url = format!("zk://{}{path}", zk_server());
    let mut child = Command::new(env!("CARGO_BIN_EXE_mesos-local"))
        .args([
            "--port",
            "0",
            "--masters",
            "2",
            "--agents",
            "1",
            "--zk",
            &url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mesos-local");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let leader = line
        .trim()
        .strip_prefix("mesos-local: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();

    let observer = Session::connect(&zk_server(), None);
    let children = observer.children(&path);
    assert_eq!(children.len(), 2, "{children:?}");
    assert!(children.iter().all(|c| c.starts_with("json.info_")));
    let detector = ZkDetector::new(&url).unwrap();
    assert_eq!(detector.wait_for_change(None, WAIT).unwrap(), Some(leader));

    // SIGTERM: the masters' sessions close, the group empties at once.
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    assert!(child.wait().unwrap().success());
    assert!(eventually(Duration::from_secs(5), || observer
        .children(&path)
        .is_empty()));
}
