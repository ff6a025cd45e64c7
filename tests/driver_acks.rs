//! Acknowledgements with `ack.connections` > 1 (issue 12 item 1): those of one task reach
//! the master in the order its updates arrived (an agent accepts only the acknowledgement
//! of the update it waits for), while those of different tasks still overlap. The fake
//! master sends several updates of each task back to back, without waiting for any
//! acknowledgement, and records the order in which the acknowledgements arrive.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::fake_master::{record, Answer, FakeMaster};
use common::*;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::Driver;

const WAIT: Duration = Duration::from_secs(30);
const TASKS: usize = 40;
const UPDATES_PER_TASK: usize = 6;

fn update_event(task: &str, agent: &str, uuid: &[u8]) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Update as i32),
        update: Some(scheduler::event::Update {
            status: v1::TaskStatus {
                task_id: v1::TaskId { value: task.into() },
                state: v1::TaskState::TaskRunning as i32,
                agent_id: Some(v1::AgentId {
                    value: agent.into(),
                }),
                uuid: Some(uuid.to_vec()),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

/// The uuid of update `index` of task `task` (unique, so the order can be read back).
fn uuid_of(task: usize, index: usize) -> Vec<u8> {
    format!("uuid-{task}-{index}").into_bytes()
}

/// A registered driver with implicit acknowledgements over `connections` ack connections.
fn registered_driver(master: &FakeMaster, connections: usize) -> Driver {
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("acks"),
        None,
        true,
    );
    driver
        .set_option("ack.connections", &connections.to_string())
        .unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered), "never registered");
    driver
}

/// Sends every task's updates back to back, all of them in one stream chunk; the tasks
/// are spread over a few agents (the same task id may exist on two agents).
fn send_all_updates(master: &FakeMaster) {
    let mut chunk = Vec::new();
    for task in 0..TASKS {
        for index in 0..UPDATES_PER_TASK {
            let event = update_event(
                &format!("task-{}", task / 2),
                &format!("agent-{}", task % 2),
                &uuid_of(task, index),
            );
            chunk.extend(record(&event));
        }
    }
    master.push_raw(&chunk);
}

fn is_ack(received: &fake_master::Received) -> bool {
    received.call.r#type == Some(scheduler::call::Type::Acknowledge as i32)
}

use common::fake_master;

/// Waits until the master received `count` acknowledgements; their uuids per task (keyed
/// by agent and task id), in arrival order.
fn acks_per_task(master: &FakeMaster, count: usize) -> BTreeMap<(String, String), Vec<Vec<u8>>> {
    let deadline = Instant::now() + WAIT;
    let acks = loop {
        let acks: Vec<_> = master.received().into_iter().filter(is_ack).collect();
        if acks.len() >= count || Instant::now() > deadline {
            break acks;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(acks.len(), count, "acknowledgements received");
    let mut per_task: BTreeMap<_, Vec<Vec<u8>>> = BTreeMap::new();
    for ack in acks {
        let acknowledge = ack
            .call
            .acknowledge
            .expect("ACKNOWLEDGE without its payload");
        per_task
            .entry((acknowledge.agent_id.value, acknowledge.task_id.value))
            .or_default()
            .push(acknowledge.uuid);
    }
    per_task
}

/// The tasks whose acknowledgements did not arrive as `waves` passes of their updates in
/// order, with what arrived.
fn out_of_order(per_task: &BTreeMap<(String, String), Vec<Vec<u8>>>, waves: usize) -> Vec<String> {
    let mut wrong = Vec::new();
    for task in 0..TASKS {
        let key = (format!("agent-{}", task % 2), format!("task-{}", task / 2));
        let expected: Vec<Vec<u8>> = (0..waves)
            .flat_map(|_| (0..UPDATES_PER_TASK).map(move |index| uuid_of(task, index)))
            .collect();
        let arrived = per_task.get(&key).cloned().unwrap_or_default();
        if arrived != expected {
            let readable: Vec<String> = arrived
                .iter()
                .map(|uuid| String::from_utf8_lossy(uuid).into_owned())
                .collect();
            wrong.push(format!("{key:?}: {readable:?}"));
        }
    }
    wrong
}

#[test]
fn acks_of_one_task_arrive_in_update_order_and_different_tasks_overlap() {
    let master = FakeMaster::start(0.5);
    // A slow answer keeps every connection busy, so acknowledgements wait in the lanes.
    master.set_call_delay(Duration::from_millis(5));
    let driver = registered_driver(&master, 4);
    send_all_updates(&master);
    let per_task = acks_per_task(&master, TASKS * UPDATES_PER_TASK);
    let wrong = out_of_order(&per_task, 1);
    assert!(
        wrong.is_empty(),
        "{} of {TASKS} tasks had their acknowledgements reordered: {wrong:#?}",
        wrong.len()
    );
    // Acknowledgements of different tasks still went out side by side.
    assert!(
        master.max_calls_in_flight() >= 2,
        "acknowledgements never overlapped (at most {} at once)",
        master.max_calls_in_flight()
    );
    driver.abort();
}

#[test]
fn acks_stay_in_order_through_a_spell_of_503_answers() {
    let master = FakeMaster::start(0.5);
    master.set_call_delay(Duration::from_millis(2));
    let driver = registered_driver(&master, 4);
    // The master is unavailable for a while: the driver drops what was answered 503
    // (calls are not retried), and the master sends the updates it still has again.
    let spell = TASKS * UPDATES_PER_TASK / 2;
    master.script_calls((0..spell).map(|_| Answer::status(503, "Service Unavailable")));
    send_all_updates(&master);
    let _ = acks_per_task(&master, TASKS * UPDATES_PER_TASK);
    send_all_updates(&master);
    let per_task = acks_per_task(&master, 2 * TASKS * UPDATES_PER_TASK);
    let wrong = out_of_order(&per_task, 2);
    assert!(
        wrong.is_empty(),
        "{} of {TASKS} tasks had their acknowledgements reordered: {wrong:#?}",
        wrong.len()
    );
    driver.abort();
}

#[test]
fn one_ack_connection_sends_every_ack_in_order() {
    let master = FakeMaster::start(0.5);
    let driver = registered_driver(&master, 1);
    send_all_updates(&master);
    let per_task = acks_per_task(&master, TASKS * UPDATES_PER_TASK);
    assert_eq!(out_of_order(&per_task, 1), Vec::<String>::new());
    assert_eq!(
        master.max_calls_in_flight(),
        1,
        "one connection: one call at a time"
    );
    driver.abort();
}

#[test]
fn a_call_waits_for_the_acks_queued_before_it() {
    let master = FakeMaster::start(0.5);
    // Slow answers keep the lanes busy while the call is queued.
    master.set_call_delay(Duration::from_millis(5));
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("acks"),
        None,
        false,
    );
    driver.set_option("ack.connections", "4").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered), "never registered");
    let statuses: Vec<Vec<u8>> = (0..TASKS)
        .map(|task| {
            let event = update_event(&format!("task-{task}"), "agent-0", &uuid_of(task, 0));
            encode(&event.update.unwrap().status)
        })
        .collect();
    for status in &statuses {
        driver.acknowledge_status_update(status).unwrap();
    }
    let task_id = encode(&v1::TaskId {
        value: "task-0".into(),
    });
    driver.kill_task(&task_id).unwrap();
    let kill = master
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Kill as i32)
        })
        .expect("no KILL");
    let received = master.received();
    let kill_at = received.iter().position(|r| r.body == kill.body).unwrap();
    let acks_before_kill = received[..kill_at].iter().filter(|r| is_ack(r)).count();
    assert_eq!(
        acks_before_kill, TASKS,
        "the KILL overtook acknowledgements queued before it"
    );
    driver.abort();
}
