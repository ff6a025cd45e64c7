//! The classic Mesos "test framework" over the Rust API (the same as
//! examples/test_framework.c): registers, launches N command tasks
//! (`echo hello; sleep 1`, cpus 1, mem 128) from offers, prints progress and stops when
//! all are done.
//!
//! `cargo run --example rust_framework -- [MASTER [N]]`; MASTER defaults to
//! $MESOS_MASTER, else `local`; N to 5. Exits 0 when every task finished, else 1.

use std::process::ExitCode;
use std::sync::Arc;

use parking_lot::Mutex;

use mesos_sched::proto::v1::{
    value, AgentId, CommandInfo, FrameworkId, FrameworkInfo, Offer, OfferId, Resource, TaskId,
    TaskInfo, TaskState, TaskStatus,
};
use mesos_sched::{Driver, Scheduler, Status};
use prost::Message;

const TASK_CPUS: f64 = 1.0;
const TASK_MEM: f64 = 128.0;

/// Task outcomes, shared with main (the driver owns the scheduler).
#[derive(Default)]
struct Outcome {
    finished: usize,
    failed: usize,
}

struct TestScheduler {
    total: usize,
    launched: usize,
    outcome: Arc<Mutex<Outcome>>,
}

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.to_string(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

fn offered(offer: &Offer, name: &str) -> f64 {
    offer
        .resources
        .iter()
        .filter(|resource| resource.name == name)
        .filter_map(|resource| resource.scalar.map(|scalar| scalar.value))
        .sum()
}

fn command_task(number: usize, agent_id: &AgentId) -> TaskInfo {
    TaskInfo {
        name: format!("Task {number}"),
        task_id: TaskId {
            value: number.to_string(),
        },
        agent_id: agent_id.clone(),
        resources: vec![scalar("cpus", TASK_CPUS), scalar("mem", TASK_MEM)],
        command: Some(CommandInfo {
            shell: Some(true),
            value: Some("echo hello; sleep 1".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn is_terminal(state: i32) -> bool {
    matches!(
        TaskState::try_from(state),
        Ok(TaskState::TaskFinished
            | TaskState::TaskFailed
            | TaskState::TaskKilled
            | TaskState::TaskLost
            | TaskState::TaskError
            | TaskState::TaskDropped
            | TaskState::TaskGone
            | TaskState::TaskGoneByOperator
            | TaskState::TaskUnknown)
    )
}

fn state_name(state: i32) -> String {
    TaskState::try_from(state)
        .map(|state| state.as_str_name().to_string())
        .unwrap_or_else(|_| format!("unknown state {state}"))
}

impl Scheduler for TestScheduler {
    fn registered(&mut self, _driver: &Driver, framework_id: &[u8], _master_info: &[u8]) {
        let id = FrameworkId::decode(framework_id)
            .map(|id| id.value)
            .unwrap_or_default();
        println!("Registered with framework ID {id}");
    }

    fn reregistered(&mut self, _driver: &Driver, _master_info: &[u8]) {
        println!("Reregistered with the master");
    }

    fn disconnected(&mut self, _driver: &Driver) {
        println!("Disconnected from the master");
    }

    fn resource_offers(&mut self, driver: &Driver, offers: &[&[u8]]) {
        for bytes in offers {
            let Ok(offer) = Offer::decode(*bytes) else {
                eprintln!("Ignoring a malformed offer");
                continue;
            };
            let (mut cpus, mut mem) = (offered(&offer, "cpus"), offered(&offer, "mem"));
            let mut tasks = Vec::new();
            while self.launched < self.total && cpus >= TASK_CPUS && mem >= TASK_MEM {
                println!(
                    "Launching task {} using offer {}",
                    self.launched, offer.id.value
                );
                tasks.push(command_task(self.launched, &offer.agent_id).encode_to_vec());
                self.launched += 1;
                cpus -= TASK_CPUS;
                mem -= TASK_MEM;
            }
            let offer_id = OfferId {
                value: offer.id.value.clone(),
            }
            .encode_to_vec();
            let tasks: Vec<&[u8]> = tasks.iter().map(Vec::as_slice).collect();
            // Launching no task declines the offer.
            if let Err(error) = driver.launch_tasks(&[&offer_id], &tasks, None) {
                eprintln!("launch_tasks failed: {error}");
            }
        }
    }

    fn status_update(&mut self, driver: &Driver, task_status: &[u8]) {
        let Ok(status) = TaskStatus::decode(task_status) else {
            eprintln!("Ignoring a malformed status update");
            return;
        };
        let message = status
            .message
            .as_deref()
            .filter(|message| !message.is_empty())
            .map(|message| format!(" ({message})"))
            .unwrap_or_default();
        println!(
            "Task {} is in state {}{message}",
            status.task_id.value,
            state_name(status.state)
        );
        let mut outcome = self.outcome.lock();
        if status.state == TaskState::TaskFinished as i32 {
            outcome.finished += 1;
        } else if is_terminal(status.state) {
            outcome.failed += 1;
        }
        if outcome.finished + outcome.failed >= self.total {
            println!(
                "All {} tasks done ({} finished, {} failed), stopping",
                self.total, outcome.finished, outcome.failed
            );
            drop(outcome);
            driver.stop(false);
        }
    }

    fn error(&mut self, _driver: &Driver, message: &str) {
        eprintln!("Error: {message}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let master = args
        .get(1)
        .cloned()
        .or_else(|| std::env::var("MESOS_MASTER").ok())
        .filter(|master| !master.is_empty())
        .unwrap_or_else(|| "local".to_string());
    let total = match args.get(2).map(|n| n.parse::<usize>()) {
        None => 5,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: rust_framework [MASTER [N]]  (N: a positive number of tasks)");
            return ExitCode::from(2);
        }
    };
    println!(
        "libmesos_sched {}, master {master}, {total} tasks",
        mesos_sched::VERSION
    );

    let framework_info = FrameworkInfo {
        user: String::new(), // filled in by the driver with the OS user
        name: "Test Framework (Rust)".to_string(),
        ..Default::default()
    }
    .encode_to_vec();
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let scheduler = TestScheduler {
        total,
        launched: 0,
        outcome: outcome.clone(),
    };
    let driver = match Driver::new(Box::new(scheduler), &framework_info, &master, None, true) {
        Ok(driver) => driver,
        Err(error) => {
            eprintln!("Driver::new failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let status = match driver.run() {
        Ok(status) => status,
        Err(error) => {
            eprintln!("Driver::run failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    drop(driver);

    let outcome = outcome.lock();
    if status == Status::Stopped && outcome.finished == total {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "Framework ended with driver status {status:?}, {} of {} tasks finished",
            outcome.finished, total
        );
        ExitCode::FAILURE
    }
}
