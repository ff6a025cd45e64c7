//! Simulated mode: no processes, labels set duration and exit code, and enough
//! throughput for benchmarks (many tasks, updates acknowledged from several threads).

mod local_common;
use local_common::*;
use mesos_sched::local::{LocalConfig, DURATION_LABEL, EXIT_CODE_LABEL};
use mesos_sched::proto::scheduler::{call, event};
use mesos_sched::proto::v1::{self, TaskState};
use std::time::{Duration, Instant};

fn labelled(mut task: v1::TaskInfo, labels: &[(&str, &str)]) -> v1::TaskInfo {
    task.labels = Some(v1::Labels {
        labels: labels
            .iter()
            .map(|(k, v)| v1::Label {
                key: k.to_string(),
                value: Some(v.to_string()),
            })
            .collect(),
    });
    task
}

#[test]
fn simulated_tasks_follow_their_labels() {
    let cluster = start(LocalConfig {
        simulate: Some(Duration::from_millis(100)),
        ..config()
    });
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("sim"));
    let offers = s.offers(SECS5);
    let o = &offers[0];
    let tasks = vec![
        command_task("default", o, "ignored", 0.1),
        labelled(
            command_task("slow", o, "ignored", 0.1),
            &[(DURATION_LABEL, "600")],
        ),
        labelled(
            command_task("bad", o, "ignored", 0.1),
            &[(EXIT_CODE_LABEL, "2")],
        ),
        labelled(
            command_task("killme", o, "ignored", 0.1),
            &[(DURATION_LABEL, "60000")],
        ),
    ];
    let launched = Instant::now();
    launch(&s, &[o], tasks);
    let mut end = std::collections::HashMap::new();
    while !(end.contains_key("default") && end.contains_key("bad")) {
        let status = s.expect(event::Type::Update, SECS5).update.unwrap().status;
        s.acknowledge(&status);
        let state = state_of(&status);
        if mesos_sched_terminal(state) {
            end.insert(status.task_id.value.clone(), (state, launched.elapsed()));
        }
    }
    assert_eq!(end["default"].0, TaskState::TaskFinished);
    assert_eq!(end["bad"].0, TaskState::TaskFailed);
    let slow = loop {
        if let Some((_, at)) = end.get("slow") {
            break *at;
        }
        let status = s.expect(event::Type::Update, SECS5).update.unwrap().status;
        s.acknowledge(&status);
        if status.task_id.value == "slow" && mesos_sched_terminal(state_of(&status)) {
            break launched.elapsed();
        }
    };
    assert!(slow >= Duration::from_millis(600));
    s.send(call::Type::Kill, |c| {
        c.kill = Some(call::Kill {
            task_id: v1::TaskId {
                value: "killme".into(),
            },
            ..Default::default()
        })
    });
    assert_eq!(
        state_of(&s.update_acked("killme", SECS5)),
        TaskState::TaskKilled
    );
    // No process was started: no sandbox directories.
    assert!(!cluster.work_dir().join("frameworks").exists());
}

fn mesos_sched_terminal(state: TaskState) -> bool {
    matches!(
        state,
        TaskState::TaskFinished
            | TaskState::TaskFailed
            | TaskState::TaskKilled
            | TaskState::TaskError
            | TaskState::TaskLost
    )
}

/// Launches `total` tasks in batches and acknowledges every update from `ackers`
/// threads; returns (elapsed, updates).
fn run_many(total: usize, ackers: usize) -> (Duration, usize) {
    let cluster = start(LocalConfig {
        simulate: Some(Duration::from_millis(1)),
        agents: 4,
        resources: "cpus:100000;mem:10000000".into(),
        status_update_retry: Duration::from_secs(30),
        heartbeat_interval: Duration::from_secs(5),
        ..LocalConfig::default()
    });
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("bench"));
    let (tx, rx) = std::sync::mpsc::sync_channel::<v1::TaskStatus>(100_000);
    let rx = std::sync::Arc::new(parking_lot::Mutex::new(rx));
    let base = cluster.leader_url();
    let stream_id = s.stream_id.clone();
    let fid = s.fid();
    let mut workers = Vec::new();
    for _ in 0..ackers {
        let rx = rx.clone();
        let base = base.clone();
        let stream_id = stream_id.clone();
        let fid = fid.clone();
        workers.push(std::thread::spawn(move || {
            let agent = agent(Some(Duration::from_secs(10)));
            let url = scheduler_url(&base);
            loop {
                let status = match rx.lock().recv() {
                    Ok(status) => status,
                    Err(_) => return,
                };
                let c = mesos_sched::proto::scheduler::Call {
                    framework_id: fid.clone(),
                    r#type: Some(call::Type::Acknowledge as i32),
                    acknowledge: Some(call::Acknowledge {
                        agent_id: status.agent_id.clone().unwrap(),
                        task_id: status.task_id.clone(),
                        uuid: status.uuid.clone().unwrap(),
                    }),
                    ..Default::default()
                };
                let body = prost::Message::encode_to_vec(&c);
                let r = agent
                    .post(&url)
                    .header("Content-Type", PROTOBUF)
                    .header("Mesos-Stream-Id", &stream_id)
                    .send(&body[..])
                    .unwrap();
                assert_eq!(r.status().as_u16(), 202);
            }
        }));
    }
    let started = Instant::now();
    let mut launched = 0;
    let mut finished = 0;
    let mut updates = 0;
    while finished < total {
        let event = s.next(Duration::from_secs(20)).expect("events keep coming");
        if let Some(offers) = event.offers {
            for offer in offers.offers {
                let n = (total - launched).min(2000);
                if n == 0 {
                    continue;
                }
                let tasks: Vec<_> = (launched..launched + n)
                    .map(|i| command_task(&format!("t{i}"), &offer, "x", 0.01))
                    .collect();
                launched += n;
                assert_eq!(launch(&s, &[&offer], tasks).status, 202);
            }
        }
        if let Some(update) = event.update {
            updates += 1;
            if state_of(&update.status) == TaskState::TaskFinished {
                finished += 1;
            }
            tx.send(update.status).unwrap();
        }
    }
    let elapsed = started.elapsed();
    drop(tx);
    for w in workers {
        w.join().unwrap();
    }
    (elapsed, updates)
}

#[test]
fn many_simulated_tasks() {
    let total = std::env::var("MESOS_LOCAL_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let ackers = std::env::var("ACKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let (elapsed, updates) = run_many(total, ackers);
    assert_eq!(updates, total * 3);
    let rate = (updates as f64) / elapsed.as_secs_f64();
    eprintln!(
        "{total} simulated tasks, {updates} updates + acks in {:.2?}: {:.0} updates+acks/s",
        elapsed, rate
    );
}

const RUSAGE_THREAD: i32 = 1;

/// User + system CPU time of the process or of the calling thread.
fn cpu_time(who: i32) -> Duration {
    // SAFETY: getrusage into a zeroed struct.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// Sends `calls` ACKNOWLEDGE calls (unknown uuids: answered 202, ignored) one at a time
/// over one raw keep-alive connection; returns the mean round trip.
fn ack_round_trips(base: &str, stream_id: &str, fid: &v1::FrameworkId, calls: usize) -> Duration {
    use std::io::{BufRead, BufReader, Read, Write};
    let addr = base.trim_start_matches("http://");
    let socket = std::net::TcpStream::connect(addr).unwrap();
    socket.set_nodelay(true).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(socket.try_clone().unwrap());
    let mut writer = socket;
    let body = prost::Message::encode_to_vec(&mesos_sched::proto::scheduler::Call {
        framework_id: Some(fid.clone()),
        r#type: Some(call::Type::Acknowledge as i32),
        acknowledge: Some(call::Acknowledge {
            agent_id: v1::AgentId { value: "a".into() },
            task_id: v1::TaskId { value: "t".into() },
            uuid: vec![7; 16],
        }),
        ..Default::default()
    });
    let mut request = format!(
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {PROTOBUF}\r\nMesos-Stream-Id: {stream_id}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let mut line = String::new();
    let started = Instant::now();
    for _ in 0..calls {
        writer.write_all(&request).unwrap();
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 202"), "{line:?}");
        let mut length = 0;
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut rest = vec![0; length];
        reader.read_exact(&mut rest).unwrap();
    }
    started.elapsed() / calls as u32
}

/// The master's share of one call on a keep-alive connection (the driver acknowledges
/// over one in-order connection). Prints the mean round trip; the bound is loose so
/// debug builds pass (measure with --release).
#[test]
fn one_connection_call_round_trip() {
    let calls = std::env::var("MESOS_LOCAL_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let cluster = start(LocalConfig {
        simulate: Some(Duration::from_millis(1)),
        heartbeat_interval: Duration::from_secs(5),
        ..LocalConfig::default()
    });
    let s = Stream::subscribe(&cluster.leader_url(), framework_info("rtt"));
    ack_round_trips(&cluster.leader_url(), &s.stream_id, &s.fid().unwrap(), 200);
    let (process_before, client_before) = (cpu_time(libc::RUSAGE_SELF), cpu_time(RUSAGE_THREAD));
    let mean = ack_round_trips(
        &cluster.leader_url(),
        &s.stream_id,
        &s.fid().unwrap(),
        calls,
    );
    // CPU the rest of the process (the master) spent: independent of how fast this
    // machine wakes sleeping threads, which dominates the round trip on loopback.
    let master_cpu = (cpu_time(libc::RUSAGE_SELF) - process_before)
        .saturating_sub(cpu_time(RUSAGE_THREAD) - client_before)
        / calls as u32;
    eprintln!(
        "{calls} ACKNOWLEDGE calls on one connection: {mean:.2?} per round trip, master CPU {master_cpu:.2?} per call"
    );
    assert!(mean < Duration::from_millis(2), "{mean:?}");
}
