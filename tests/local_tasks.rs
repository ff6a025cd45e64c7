//! Real command tasks, status update reliability, kill, reconcile, message echo, shutdown.

mod local_common;
use local_common::*;
use mesos_sched::local::LocalConfig;
use mesos_sched::proto::scheduler::{call, event};
use mesos_sched::proto::v1::{self, task_status::Reason, task_status::Source, TaskState};
use std::time::Duration;

#[test]
fn command_tasks_finish_fail_with_env_and_sandbox() {
    let cluster = start(LocalConfig {
        keep_work_dir: false,
        ..config()
    });
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("tasks"));
    let offers = s.offers(SECS5);
    let offer = &offers[0];
    let mut ok = command_task(
        "ok",
        offer,
        "echo out-$MESOS_TASK_ID; echo err >&2; echo \"$GREETING $MESOS_FRAMEWORK_ID $MESOS_AGENT_ID\" > env.txt; pwd > pwd.txt",
        0.5,
    );
    ok.command.as_mut().unwrap().environment = Some(v1::Environment {
        variables: vec![v1::environment::Variable {
            name: "GREETING".into(),
            value: Some("hello".into()),
            ..Default::default()
        }],
    });
    let fail = command_task("fail", offer, "exit 3", 0.5);
    let mut noshell = command_task("noshell", offer, "/bin/sh", 0.5);
    {
        let c = noshell.command.as_mut().unwrap();
        c.shell = Some(false);
        c.arguments = vec!["sh".into(), "-c".into(), "exit 0".into()];
    }
    assert_eq!(launch(&s, &[offer], vec![ok, fail, noshell]).status, 202);

    let mut finals = std::collections::HashMap::new();
    for task in ["ok", "fail", "noshell"] {
        let starting = s.update_acked(task, SECS5);
        assert_eq!(state_of(&starting), TaskState::TaskStarting, "{task}");
        assert_eq!(starting.source, Some(Source::Executor as i32));
        assert_eq!(starting.uuid.as_ref().unwrap().len(), 16);
        assert_eq!(starting.agent_id.as_ref().unwrap(), &offer.agent_id);
        assert_eq!(starting.executor_id.as_ref().unwrap().value, task);
        assert!(starting.timestamp.unwrap() > 1e9);
        let running = s.update_acked(task, SECS5);
        assert_eq!(state_of(&running), TaskState::TaskRunning);
        let last = s.update_acked(task, SECS5);
        finals.insert(task, last);
    }
    assert_eq!(state_of(&finals["ok"]), TaskState::TaskFinished);
    assert_eq!(state_of(&finals["noshell"]), TaskState::TaskFinished);
    assert_eq!(state_of(&finals["fail"]), TaskState::TaskFailed);
    assert_eq!(
        finals["fail"].message.as_deref(),
        Some("Command exited with status 3")
    );

    // Sandbox files.
    let state = cluster.state_json();
    let sandbox = state["completed_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "ok")
        .unwrap()["sandbox"]
        .as_str()
        .unwrap()
        .to_string();
    let read = |f: &str| std::fs::read_to_string(std::path::Path::new(&sandbox).join(f)).unwrap();
    assert_eq!(read("stdout"), "out-ok\n");
    assert_eq!(read("stderr"), "err\n");
    assert_eq!(
        read("env.txt"),
        format!("hello {} {}\n", s.framework_id, offer.agent_id.value)
    );
    assert_eq!(
        read("pwd.txt").trim(),
        std::fs::canonicalize(&sandbox).unwrap().to_str().unwrap()
    );
    // Terminal + acknowledged: the task is unknown now.
    s.send(call::Type::Reconcile, |c| {
        c.reconcile = Some(call::Reconcile {
            tasks: vec![call::reconcile::Task {
                task_id: v1::TaskId { value: "ok".into() },
                agent_id: Some(offer.agent_id.clone()),
            }],
        })
    });
    let r = s.expect_update("ok", SECS5);
    assert_eq!(state_of(&r), TaskState::TaskLost);
    assert_eq!(
        r.message.as_deref(),
        Some("Reconciliation: Task is unknown to the agent")
    );
    let work_dir = cluster.work_dir().to_path_buf();
    assert!(work_dir.exists());
    drop(s);
    cluster.shutdown();
    assert!(!work_dir.exists(), "work dir removed at shutdown");
}

#[test]
fn kill_with_killing_state_and_grace_escalation() {
    let cluster = start(config());
    let info = with_capabilities(
        framework_info("killer"),
        &[v1::framework_info::capability::Type::TaskKillingState],
    );
    let mut s = Stream::subscribe(&cluster.leader_url(), info);
    let offers = s.offers(SECS5);
    let offer = &offers[0];
    let polite = command_task("polite", offer, "sleep 30", 0.5);
    // Ignores SIGTERM: killed by SIGKILL after the grace period.
    let mut stubborn = command_task(
        "stubborn",
        offer,
        "trap '' TERM; sleep 30 & wait; sleep 30",
        0.5,
    );
    stubborn.kill_policy = Some(v1::KillPolicy {
        grace_period: Some(v1::DurationInfo {
            nanoseconds: 300_000_000,
        }),
    });
    assert_eq!(launch(&s, &[offer], vec![polite, stubborn]).status, 202);
    for task in ["polite", "stubborn"] {
        assert_eq!(
            state_of(&s.update_acked(task, SECS5)),
            TaskState::TaskStarting
        );
        assert_eq!(
            state_of(&s.update_acked(task, SECS5)),
            TaskState::TaskRunning
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    for task in ["polite", "stubborn"] {
        let reply = s.send(call::Type::Kill, |c| {
            c.kill = Some(call::Kill {
                task_id: v1::TaskId { value: task.into() },
                agent_id: Some(offer.agent_id.clone()),
                kill_policy: None,
            })
        });
        assert_eq!(reply.status, 202);
    }
    for task in ["polite", "stubborn"] {
        assert_eq!(
            state_of(&s.update_acked(task, SECS5)),
            TaskState::TaskKilling
        );
        let killed = s.update_acked(task, SECS5);
        assert_eq!(
            state_of(&killed),
            TaskState::TaskKilled,
            "{task}: {:?}",
            killed.message
        );
    }
    assert!(started.elapsed() < Duration::from_secs(4));
    // Kill of an unknown task: TASK_LOST through reconciliation.
    s.send(call::Type::Kill, |c| {
        c.kill = Some(call::Kill {
            task_id: v1::TaskId {
                value: "ghost".into(),
            },
            agent_id: None,
            kill_policy: None,
        })
    });
    let lost = s.expect_update("ghost", SECS5);
    assert_eq!(state_of(&lost), TaskState::TaskLost);
    assert_eq!(lost.reason, Some(Reason::Reconciliation as i32));
    assert_eq!(lost.source, Some(Source::Master as i32));
    assert!(lost.uuid.is_none());
    // No processes left behind.
    assert!(cluster.wait_until(SECS5, |st| st["frameworks"][0]["tasks"]
        .as_array()
        .unwrap()
        .is_empty()));
}

#[test]
fn unacknowledged_updates_are_retried_with_the_same_uuid_and_ordered() {
    let cluster = start(config());
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("retry"));
    let offers = s.offers(SECS5);
    assert_eq!(
        launch(
            &s,
            &[&offers[0]],
            vec![command_task("t", &offers[0], "true", 0.5)]
        )
        .status,
        202
    );
    let first = s.expect_update("t", SECS5);
    assert_eq!(state_of(&first), TaskState::TaskStarting);
    // Not acknowledged: the same update comes again (same uuid), nothing newer meanwhile.
    let again = s.expect_update("t", SECS5);
    assert_eq!(state_of(&again), TaskState::TaskStarting);
    assert_eq!(again.uuid, first.uuid);
    let third = s.expect_update("t", SECS5);
    assert_eq!(third.uuid, first.uuid);
    // A wrong uuid is ignored (202).
    let mut wrong = first.clone();
    wrong.uuid = Some(vec![1u8; 16]);
    assert_eq!(s.acknowledge(&wrong).status, 202);
    assert_eq!(s.expect_update("t", SECS5).uuid, first.uuid);
    // Acknowledge: the next update follows.
    assert_eq!(s.acknowledge(&first).status, 202);
    let mut next = s.expect_update("t", SECS5);
    while next.uuid == first.uuid {
        next = s.expect_update("t", SECS5);
    }
    assert_eq!(state_of(&next), TaskState::TaskRunning);
    assert_eq!(s.acknowledge(&next).status, 202);
    let mut done = s.expect_update("t", SECS5);
    while done.uuid == next.uuid {
        done = s.expect_update("t", SECS5);
    }
    assert_eq!(state_of(&done), TaskState::TaskFinished);
    assert_eq!(s.acknowledge(&done).status, 202);
    assert!(cluster.wait_until(SECS5, |st| st["frameworks"][0]["tasks"]
        .as_array()
        .unwrap()
        .is_empty()));
}

/// Launches `task_id` (`sleep 30`) on the first offer and acknowledges its STARTING
/// and RUNNING updates; the agent it runs on.
fn running_sleeper(s: &mut Stream, task_id: &str) -> v1::AgentId {
    let offers = s.offers(SECS5);
    launch(
        s,
        &[&offers[0]],
        vec![command_task(task_id, &offers[0], "sleep 30", 0.5)],
    );
    s.update_acked(task_id, SECS5);
    s.update_acked(task_id, SECS5);
    offers[0].agent_id.clone()
}

#[test]
fn reconcile_explicit_implicit_and_partition_aware() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut s = Stream::subscribe(&base, framework_info("rec"));
    let agent = running_sleeper(&mut s, "sleeper");
    // Implicit.
    s.send(call::Type::Reconcile, |c| {
        c.reconcile = Some(call::Reconcile::default())
    });
    let r = s.expect_update("sleeper", SECS5);
    assert_eq!(state_of(&r), TaskState::TaskRunning);
    assert_eq!(r.reason, Some(Reason::Reconciliation as i32));
    assert_eq!(
        r.message.as_deref(),
        Some("Reconciliation: Latest task state")
    );
    assert!(r.uuid.is_none());
    // Explicit: known, unknown on a known agent, unknown without agent.
    s.send(call::Type::Reconcile, |c| {
        c.reconcile = Some(call::Reconcile {
            tasks: vec![
                call::reconcile::Task {
                    task_id: v1::TaskId {
                        value: "sleeper".into(),
                    },
                    agent_id: None,
                },
                call::reconcile::Task {
                    task_id: v1::TaskId { value: "x".into() },
                    agent_id: Some(agent.clone()),
                },
                call::reconcile::Task {
                    task_id: v1::TaskId { value: "y".into() },
                    agent_id: None,
                },
            ],
        })
    });
    assert_eq!(
        state_of(&s.expect_update("sleeper", SECS5)),
        TaskState::TaskRunning
    );
    let x = s.expect_update("x", SECS5);
    assert_eq!(
        (state_of(&x), x.message.as_deref()),
        (
            TaskState::TaskLost,
            Some("Reconciliation: Task is unknown to the agent")
        )
    );
    let y = s.expect_update("y", SECS5);
    assert_eq!(
        (state_of(&y), y.message.as_deref()),
        (TaskState::TaskLost, Some("Reconciliation: Task is unknown"))
    );
    // Partition-aware framework (JSON this time): GONE / UNKNOWN.
    let info = with_capabilities(
        framework_info("pa"),
        &[v1::framework_info::capability::Type::PartitionAware],
    );
    let mut p = Stream::open(&base, &subscribe_call(info), JSON, None);
    p.expect(event::Type::Subscribed, SECS5);
    let mut c = mesos_sched::proto::scheduler::Call {
        framework_id: p.fid(),
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile {
            tasks: vec![
                call::reconcile::Task {
                    task_id: v1::TaskId { value: "x".into() },
                    agent_id: Some(agent.clone()),
                },
                call::reconcile::Task {
                    task_id: v1::TaskId { value: "y".into() },
                    agent_id: None,
                },
            ],
        }),
        ..Default::default()
    };
    assert_eq!(p.call(&c, JSON).status, 202);
    assert_eq!(state_of(&p.expect_update("x", SECS5)), TaskState::TaskGone);
    assert_eq!(
        state_of(&p.expect_update("y", SECS5)),
        TaskState::TaskUnknown
    );
    c.reconcile = Some(call::Reconcile::default());
    assert_eq!(p.call(&c, JSON).status, 202);
}

#[test]
fn message_echo_and_executor_shutdown() {
    let cluster = start(config());
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("msg"));
    let agent = running_sleeper(&mut s, "m");
    let reply = s.send(call::Type::Message, |c| {
        c.message = Some(call::Message {
            agent_id: agent.clone(),
            executor_id: v1::ExecutorId { value: "m".into() },
            data: b"ping \x00\xff".to_vec(),
        })
    });
    assert_eq!(reply.status, 202);
    let echo = s.expect(event::Type::Message, SECS5).message.unwrap();
    assert_eq!(echo.data, b"ping \x00\xff");
    assert_eq!(echo.executor_id.value, "m");
    assert_eq!(echo.agent_id, agent);
    // SHUTDOWN: the task is killed and FAILURE{agent, executor, status} follows.
    let reply = s.send(call::Type::Shutdown, |c| {
        c.shutdown = Some(call::Shutdown {
            executor_id: v1::ExecutorId { value: "m".into() },
            agent_id: agent.clone(),
        })
    });
    assert_eq!(reply.status, 202);
    assert_eq!(state_of(&s.update_acked("m", SECS5)), TaskState::TaskKilled);
    let failure = s.expect(event::Type::Failure, SECS5).failure.unwrap();
    assert_eq!(failure.agent_id.unwrap(), agent);
    assert_eq!(failure.executor_id.unwrap().value, "m");
    assert!(failure.status.is_some());
}

#[test]
fn invalid_launches() {
    let cluster = start(config());
    let info = with_capabilities(framework_info("inv"), &[]);
    let mut s = Stream::subscribe(&cluster.leader_url(), info);
    let offers = s.offers(SECS5);
    assert_eq!(offers.len(), 2, "one offer per agent, one event");
    assert_ne!(offers[0].id, offers[1].id);
    // Too many resources -> TASK_ERROR REASON_TASK_INVALID.
    launch(
        &s,
        &[&offers[0]],
        vec![command_task("big", &offers[0], "true", 64.0)],
    );
    let e = s.expect_update("big", SECS5);
    assert_eq!(state_of(&e), TaskState::TaskError);
    assert_eq!(e.reason, Some(Reason::TaskInvalid as i32));
    assert_eq!(e.source, Some(Source::Master as i32));
    // The offer is used up: launching on it again -> TASK_LOST REASON_INVALID_OFFERS.
    launch(
        &s,
        &[&offers[0]],
        vec![command_task("late", &offers[0], "true", 1.0)],
    );
    let l = s.expect_update("late", SECS5);
    assert_eq!(state_of(&l), TaskState::TaskLost);
    assert_eq!(l.reason, Some(Reason::InvalidOffers as i32));
    assert!(l.uuid.is_none());
    assert!(l
        .message
        .unwrap()
        .starts_with("Task launched with invalid offers"));
    // Duplicate task id within one launch: the second is TASK_ERROR.
    launch(
        &s,
        &[&offers[1]],
        vec![
            command_task("dup", &offers[1], "sleep 5", 0.5),
            command_task("dup", &offers[1], "sleep 5", 0.5),
        ],
    );
    let mut states = Vec::new();
    for _ in 0..2 {
        states.push(state_of(&s.update_acked("dup", SECS5)));
    }
    assert!(states.contains(&TaskState::TaskError), "{states:?}");
    // Offers on two agents in one ACCEPT -> invalid offers.
    let more = s.offers(Duration::from_secs(8));
    if more.len() >= 2 && more[0].agent_id != more[1].agent_id {
        launch(
            &s,
            &[&more[0], &more[1]],
            vec![command_task("two", &more[0], "true", 0.1)],
        );
        assert_eq!(
            state_of(&s.expect_update("two", SECS5)),
            TaskState::TaskLost
        );
    }
}

#[test]
fn launch_group_runs_every_task_under_one_executor() {
    let cluster = start(LocalConfig {
        agents: 1,
        resources: "cpus:2;mem:512".into(),
        ..config()
    });
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("group"));
    let offer = s.offers(SECS5).remove(0);
    let executor = v1::ExecutorInfo {
        r#type: Some(v1::executor_info::Type::Default as i32),
        executor_id: v1::ExecutorId {
            value: "group-executor".into(),
        },
        resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
        ..Default::default()
    };
    let tasks = vec![
        command_task("g1", &offer, "echo one", 0.5),
        command_task("g2", &offer, "exit 4", 0.5),
    ];
    let reply = s.send(call::Type::Accept, |c| {
        c.accept = Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![v1::offer::Operation {
                r#type: Some(v1::offer::operation::Type::LaunchGroup as i32),
                launch_group: Some(v1::offer::operation::LaunchGroup {
                    executor: executor.clone(),
                    task_group: v1::TaskGroupInfo { tasks },
                }),
                ..Default::default()
            }],
            filters: Some(v1::Filters {
                refuse_seconds: Some(0.0),
            }),
        })
    });
    assert_eq!(reply.status, 202);
    let mut finals = std::collections::HashMap::new();
    while finals.len() < 2 {
        let status = s.expect(event::Type::Update, SECS5).update.unwrap().status;
        s.acknowledge(&status);
        assert_eq!(status.executor_id.as_ref().unwrap().value, "group-executor");
        let state = state_of(&status);
        if matches!(state, TaskState::TaskFinished | TaskState::TaskFailed) {
            finals.insert(status.task_id.value.clone(), state);
        }
    }
    assert_eq!(finals["g1"], TaskState::TaskFinished);
    assert_eq!(finals["g2"], TaskState::TaskFailed);
    // Every resource is back: the whole agent is offered again.
    let deadline = std::time::Instant::now() + SECS5;
    let whole = loop {
        let offers = s.offers(SECS5);
        let cpus = offers[0]
            .resources
            .iter()
            .find(|r| r.name == "cpus")
            .map(|r| r.scalar.unwrap().value);
        if cpus == Some(2.0) {
            break offers[0].clone();
        }
        s.send(call::Type::Decline, |c| {
            c.decline = Some(call::Decline {
                offer_ids: vec![offers[0].id.clone()],
                filters: Some(v1::Filters {
                    refuse_seconds: Some(0.0),
                }),
            })
        });
        assert!(std::time::Instant::now() < deadline, "resources returned");
    };
    // A group with a task that has an executor of its own is invalid as a whole:
    // every task gets TASK_ERROR REASON_TASK_GROUP_INVALID.
    let offer = whole;
    let mut bad = command_task("b2", &offer, "true", 0.1);
    bad.executor = Some(executor.clone());
    bad.command = None;
    let reply = s.send(call::Type::Accept, |c| {
        c.accept = Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![v1::offer::Operation {
                r#type: Some(v1::offer::operation::Type::LaunchGroup as i32),
                launch_group: Some(v1::offer::operation::LaunchGroup {
                    executor: executor.clone(),
                    task_group: v1::TaskGroupInfo {
                        tasks: vec![command_task("b1", &offer, "true", 0.1), bad],
                    },
                }),
                ..Default::default()
            }],
            filters: None,
        })
    });
    assert_eq!(reply.status, 202);
    for task in ["b1", "b2"] {
        let e = s.expect_update(task, SECS5);
        assert_eq!(state_of(&e), TaskState::TaskError);
        assert_eq!(e.reason, Some(Reason::TaskGroupInvalid as i32));
    }
}

#[test]
fn resources_are_accounted_exactly() {
    let cluster = start(LocalConfig {
        agents: 1,
        resources: "cpus:2;mem:512;ports:[31000-31009]".into(),
        ..config()
    });
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("acct"));
    let offer = s.offers(SECS5).remove(0);
    let mut task = command_task("p", &offer, "sleep 30", 1.0);
    task.resources.push(v1::Resource {
        name: "ports".into(),
        r#type: v1::value::Type::Ranges as i32,
        ranges: Some(v1::value::Ranges {
            range: vec![v1::value::Range {
                begin: 31002,
                end: 31003,
            }],
        }),
        ..Default::default()
    });
    launch(&s, &[&offer], vec![task]);
    s.update_acked("p", SECS5);
    s.update_acked("p", SECS5);
    // The remainder is offered again (after the 0 s filter) without the used parts.
    let rest = s.offers(SECS5).remove(0);
    let find = |name: &str| {
        rest.resources
            .iter()
            .find(|r| r.name == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("cpus").scalar.unwrap().value, 1.0);
    assert_eq!(find("mem").scalar.unwrap().value, 480.0);
    let ranges: Vec<(u64, u64)> = find("ports")
        .ranges
        .unwrap()
        .range
        .iter()
        .map(|r| (r.begin, r.end))
        .collect();
    assert_eq!(ranges, vec![(31000, 31001), (31004, 31009)]);
    let state = cluster.state_json();
    assert_eq!(
        state["agents"][0]["used_resources"]["cpus"], 2.0,
        "task + outstanding offer"
    );
    // Kill it; once the terminal update is acknowledged nothing is used but offers.
    s.send(call::Type::Kill, |c| {
        c.kill = Some(call::Kill {
            task_id: v1::TaskId { value: "p".into() },
            ..Default::default()
        })
    });
    assert_eq!(state_of(&s.update_acked("p", SECS5)), TaskState::TaskKilled);
    s.send(call::Type::Decline, |c| {
        c.decline = Some(call::Decline {
            offer_ids: vec![rest.id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(60.0),
            }),
        })
    });
    // Everything free is offered (the filter only covers the declined subset).
    let whole = s.offers(SECS5).remove(0);
    assert_eq!(
        whole
            .resources
            .iter()
            .find(|r| r.name == "cpus")
            .unwrap()
            .scalar
            .unwrap()
            .value,
        2.0
    );
    s.send(call::Type::Decline, |c| {
        c.decline = Some(call::Decline {
            offer_ids: vec![whole.id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(60.0),
            }),
        })
    });
    assert!(
        cluster.wait_until(SECS5, |st| st["agents"][0]["used_resources"]
            == serde_json::json!({}))
    );
}
