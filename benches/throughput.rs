//! Throughput of the driver against the local cluster in simulated-task mode.
//!
//! `cargo bench --bench throughput` (optionally `-- UPDATES`, default 100000). Prints a
//! table: status updates delivered + implicitly acknowledged per second, offers per
//! second, and callback latency (TaskStatus.timestamp set by the simulated agent ->
//! the status_update callback) p50/p99. A benchmark, not a test: it never fails on time.
//! `BENCH_ONLY=updates` runs only the one-connection status-update run (for profiling).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::v1;
use mesos_sched::{Driver, Scheduler, Status};
use parking_lot::{Condvar, Mutex};
use prost::Message;

/// Tasks launched per ACCEPT.
const BATCH: usize = 500;

#[derive(Default)]
struct Shared {
    updates: AtomicUsize,
    finished: AtomicUsize,
    offers: AtomicUsize,
    latencies_us: Mutex<Vec<u64>>,
    done: Mutex<bool>,
    done_changed: Condvar,
}

struct Bench {
    shared: Arc<Shared>,
    tasks_total: usize,
    launched: usize,
    /// Offers mode: decline everything at once (refuse 0 s).
    decline_only: bool,
    /// Only count offers (injected ones: nothing to answer).
    count_only: bool,
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn scalar(name: &str, value: f64) -> v1::Resource {
    v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        ..Default::default()
    }
}

impl Scheduler for Bench {
    fn resource_offers(&mut self, driver: &Driver, offers: &[&[u8]]) {
        self.shared
            .offers
            .fetch_add(offers.len(), Ordering::Relaxed);
        if self.count_only {
            return;
        }
        let refuse_none = v1::Filters {
            refuse_seconds: Some(0.0),
        }
        .encode_to_vec();
        for raw in offers {
            let offer = v1::Offer::decode(*raw).unwrap();
            let offer_id = offer.id.encode_to_vec();
            let remaining = self.tasks_total - self.launched;
            if self.decline_only || remaining == 0 {
                driver.decline_offer(&offer_id, Some(&refuse_none)).unwrap();
                continue;
            }
            let count = remaining.min(BATCH);
            let tasks: Vec<Vec<u8>> = (0..count)
                .map(|i| {
                    v1::TaskInfo {
                        name: "bench".into(),
                        task_id: v1::TaskId {
                            value: format!("t{}", self.launched + i),
                        },
                        agent_id: offer.agent_id.clone(),
                        resources: vec![scalar("cpus", 0.001), scalar("mem", 0.001)],
                        command: Some(v1::CommandInfo {
                            value: Some("true".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }
                    .encode_to_vec()
                })
                .collect();
            let refs: Vec<&[u8]> = tasks.iter().map(Vec::as_slice).collect();
            driver
                .launch_tasks(&[&offer_id], &refs, Some(&refuse_none))
                .unwrap();
            self.launched += count;
        }
    }

    fn status_update(&mut self, _driver: &Driver, task_status: &[u8]) {
        let status = v1::TaskStatus::decode(task_status).unwrap();
        if let Some(timestamp) = status.timestamp {
            let latency = (now_secs() - timestamp).max(0.0);
            self.shared.latencies_us.lock().push((latency * 1e6) as u64);
        }
        self.shared.updates.fetch_add(1, Ordering::Relaxed);
        if status.state == v1::TaskState::TaskFinished as i32 {
            let finished = self.shared.finished.fetch_add(1, Ordering::Relaxed) + 1;
            if finished == self.tasks_total {
                *self.shared.done.lock() = true;
                self.shared.done_changed.notify_all();
            }
        }
    }
}

fn start_cluster() -> LocalCluster {
    LocalCluster::start(LocalConfig {
        agents: 4,
        resources: "cpus:100000;mem:100000000;disk:1000".into(),
        simulate: Some(Duration::ZERO),
        status_update_retry: Duration::from_secs(30),
        ..LocalConfig::default()
    })
    .expect("local cluster")
}

/// A driver for `bench` registered with `cluster`'s leader (not started).
fn bench_driver(bench: Bench, cluster: &LocalCluster) -> Driver {
    Driver::new(
        Box::new(bench),
        &framework_info(),
        &cluster.leader_url(),
        None,
        true,
    )
    .unwrap()
}

/// A fresh cluster and a started driver on it for a `Bench` that declines every offer.
fn started_decliner(
    shared: &Arc<Shared>,
    tasks_total: usize,
    count_only: bool,
) -> (LocalCluster, Driver) {
    let cluster = start_cluster();
    let bench = Bench {
        shared: shared.clone(),
        tasks_total,
        launched: 0,
        decline_only: true,
        count_only,
    };
    let driver = bench_driver(bench, &cluster);
    driver.start();
    (cluster, driver)
}

/// Stops `driver` without failover, then drops it before its cluster.
fn stop_bench(driver: Driver, cluster: LocalCluster) {
    driver.stop(false);
    drop(driver);
    drop(cluster);
}

/// Waits for the framework to subscribe and settle for 200 ms; its id.
fn subscribed_framework_id(cluster: &LocalCluster) -> String {
    while cluster.framework_ids().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let framework_id = cluster.framework_ids()[0].clone();
    std::thread::sleep(Duration::from_millis(200));
    framework_id
}

fn framework_info() -> Vec<u8> {
    v1::FrameworkInfo {
        user: "bench".into(),
        name: "throughput".into(),
        ..Default::default()
    }
    .encode_to_vec()
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

/// CPU time (user + system) of this process's live threads, by side: the driver
/// (`mesos-sched-*` threads), mesos-local (every other thread but the bench's main one:
/// `mesos-local-*`, its connection threads among them), keyed by thread id.
fn thread_cpu() -> std::collections::HashMap<u64, (String, Duration)> {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut out = std::collections::HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // comm is in parentheses and may hold spaces: fields follow the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let (Some(utime), Some(stime)) = (fields.get(11), fields.get(12)) else {
            continue;
        };
        let total = utime.parse::<f64>().unwrap_or(0.0) + stime.parse::<f64>().unwrap_or(0.0);
        out.insert(tid, (comm, Duration::from_secs_f64(total / ticks)));
    }
    out
}

/// CPU spent since `before`, by thread name; the bench's main thread is left out.
fn cpu_by_thread(
    before: &std::collections::HashMap<u64, (String, Duration)>,
) -> std::collections::BTreeMap<String, Duration> {
    let main_thread = std::process::id() as u64;
    let mut out = std::collections::BTreeMap::new();
    for (tid, (comm, now)) in thread_cpu() {
        if tid == main_thread {
            continue;
        }
        let spent = now.saturating_sub(before.get(&tid).map(|(_, d)| *d).unwrap_or_default());
        *out.entry(comm).or_insert(Duration::ZERO) += spent;
    }
    out
}

/// (driver, mesos-local) CPU from `cpu_by_thread`.
fn cpu_by_side(by_thread: &std::collections::BTreeMap<String, Duration>) -> (Duration, Duration) {
    let driver = by_thread
        .iter()
        .filter(|(comm, _)| comm.starts_with("mesos-sched"))
        .map(|(_, cpu)| *cpu)
        .sum();
    let all: Duration = by_thread.values().sum();
    (driver, all - driver)
}

/// Sequential calls per second of a minimal HTTP client (no driver, no ureq): the
/// floor that mesos-local alone sets for in-order calls on one connection.
fn raw_sequential_calls(calls: usize, window: usize) -> (f64, Duration) {
    use mesos_sched::proto::scheduler;
    use std::io::{Read, Write};
    let cluster = start_cluster();
    let address = cluster
        .leader_url()
        .trim_start_matches("http://")
        .to_string();
    let post = |body: &[u8], stream_id: Option<&str>| {
        let mut request = format!(
            "POST /api/v1/scheduler HTTP/1.1\r\nHost: {address}\r\n\
             Content-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        if let Some(stream_id) = stream_id {
            request.push_str(&format!("Mesos-Stream-Id: {stream_id}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    };
    // Reads one response head (+ Content-Length body); returns the head.
    fn read_response(socket: &mut std::net::TcpStream, pending: &mut Vec<u8>) -> String {
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&pending[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while pending.len() < end + 4 + length {
                    let n = socket.read(&mut buffer).expect("read");
                    assert!(n > 0, "connection closed");
                    pending.extend_from_slice(&buffer[..n]);
                }
                pending.drain(..end + 4 + length);
                return head;
            }
            let n = socket.read(&mut buffer).expect("read");
            assert!(n > 0, "connection closed");
            pending.extend_from_slice(&buffer[..n]);
        }
    }
    let subscribe = scheduler::Call {
        r#type: Some(scheduler::call::Type::Subscribe as i32),
        subscribe: Some(scheduler::call::Subscribe {
            framework_info: v1::FrameworkInfo::decode(framework_info().as_slice()).unwrap(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    stream
        .write_all(&post(&subscribe.encode_to_vec(), None))
        .unwrap();
    let mut pending = Vec::new();
    let mut buffer = [0u8; 4096];
    let head = loop {
        let n = stream.read(&mut buffer).expect("read");
        pending.extend_from_slice(&buffer[..n]);
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break String::from_utf8_lossy(&pending[..end]).to_string();
        }
    };
    let stream_id = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("mesos-stream-id")
                .then(|| value.trim().to_string())
        })
        .expect("Mesos-Stream-Id");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cluster.framework_ids().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let framework_id = cluster.framework_ids()[0].clone();
    let suppress = scheduler::Call {
        r#type: Some(scheduler::call::Type::Suppress as i32),
        framework_id: Some(v1::FrameworkId {
            value: framework_id,
        }),
        suppress: Some(scheduler::call::Suppress {
            roles: vec!["bench-role".into()],
        }),
        ..Default::default()
    };
    let request = post(&suppress.encode_to_vec(), Some(&stream_id));
    let mut calls_socket = std::net::TcpStream::connect(&address).expect("connect");
    calls_socket.set_nodelay(true).unwrap();
    let mut pending = Vec::new();
    let cpu_before = thread_cpu();
    let started = Instant::now();
    // `window` > 1: HTTP/1.1 pipelining, up to `window` requests written ahead.
    let mut written = 0;
    let mut answered = 0;
    while answered < calls {
        while written < calls && written - answered < window {
            calls_socket.write_all(&request).unwrap();
            written += 1;
        }
        let head = read_response(&mut calls_socket, &mut pending);
        assert!(head.starts_with("HTTP/1.1 202"), "{head}");
        answered += 1;
    }
    let rate = calls as f64 / started.elapsed().as_secs_f64();
    let (_, local_cpu) = cpu_by_side(&cpu_by_thread(&cpu_before));
    drop(stream);
    drop(cluster);
    (rate, local_cpu / calls as u32)
}

/// What one status-update run measured.
struct UpdatesRun {
    delivered: usize,
    acked: bool,
    elapsed: Duration,
    call_error: String,
    latencies: Vec<u64>,
    /// CPU of the driver's threads and of mesos-local's during the run.
    driver_cpu: Duration,
    local_cpu: Duration,
    cpu_threads: std::collections::BTreeMap<String, Duration>,
}

/// Status updates delivered + acknowledged, acknowledgements on `ack_connections`.
fn updates_run(tasks_total: usize, ack_connections: &str) -> UpdatesRun {
    let cluster = start_cluster();
    let cpu_before = thread_cpu();
    let shared = Arc::new(Shared::default());
    let bench = Bench {
        shared: shared.clone(),
        tasks_total,
        launched: 0,
        decline_only: false,
        count_only: false,
    };
    let driver = bench_driver(bench, &cluster);
    driver
        .set_option("ack.connections", ack_connections)
        .unwrap();
    let started = Instant::now();
    assert_eq!(driver.start(), Status::Running);
    {
        let mut done = shared.done.lock();
        let deadline = Instant::now() + Duration::from_secs(600);
        while !*done {
            if shared
                .done_changed
                .wait_until(&mut done, deadline)
                .timed_out()
            {
                break;
            }
        }
    }
    let delivered = shared.updates.load(Ordering::Relaxed);
    // Every update also acknowledged: wait until the master has nothing pending.
    let acked = cluster.wait_until(Duration::from_secs(120), |state| {
        state["frameworks"]
            .as_array()
            .and_then(|f| f.first())
            .is_some_and(|f| f["unacknowledged_updates"] == 0)
    });
    let elapsed = started.elapsed();
    let cpu_threads = cpu_by_thread(&cpu_before);
    let (driver_cpu, local_cpu) = cpu_by_side(&cpu_threads);
    let call_error = driver.last_error();
    driver.stop(false);
    drop(driver);
    let mut latencies = std::mem::take(&mut *shared.latencies_us.lock());
    latencies.sort_unstable();
    drop(cluster);
    UpdatesRun {
        delivered,
        acked,
        elapsed,
        call_error,
        latencies,
        driver_cpu,
        local_cpu,
        cpu_threads,
    }
}

fn main() {
    let updates_wanted: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    // Three updates per simulated task: STARTING, RUNNING, FINISHED.
    let tasks_total = updates_wanted.div_ceil(3);

    // BENCH_ONLY=raw: only the minimal client's sequential calls against mesos-local.
    if std::env::var("BENCH_ONLY").is_ok_and(|only| only == "raw") {
        for window in [1, 4, 16] {
            let (rate, local_cpu) = raw_sequential_calls(20_000, window);
            println!(
                "{rate:.0} calls per second (minimal client, no driver, {window} in flight); \
                 mesos-local CPU per call {:.1} us",
                local_cpu.as_secs_f64() * 1e6
            );
        }
        return;
    }

    // BENCH_ONLY=updates: just one status-update run (for profiling), on one connection
    // or BENCH_ACK_CONNECTIONS.
    if std::env::var("BENCH_ONLY").is_ok_and(|only| only == "updates") {
        let connections = std::env::var("BENCH_ACK_CONNECTIONS").unwrap_or_else(|_| "1".into());
        let run = updates_run(tasks_total, &connections);
        println!(
            "{} updates delivered + acked per second (ack.connections={connections}, acked: {}); \
             CPU per update: driver {:.1} us, mesos-local {:.1} us; wall {:.1} us",
            (run.delivered as f64 / run.elapsed.as_secs_f64()).round(),
            run.acked,
            run.driver_cpu.as_secs_f64() * 1e6 / run.delivered.max(1) as f64,
            run.local_cpu.as_secs_f64() * 1e6 / run.delivered.max(1) as f64,
            run.elapsed.as_secs_f64() * 1e6 / run.delivered.max(1) as f64,
        );
        for (thread, cpu) in &run.cpu_threads {
            let per_update = cpu.as_secs_f64() * 1e6 / run.delivered.max(1) as f64;
            println!("  CPU per update in {thread} threads: {per_update:.1} us");
        }
        return;
    }

    // 1. Status updates delivered + acknowledged: every call on one connection, and
    //    acknowledgements overlapping on four connections (the default, or
    //    BENCH_ACK_CONNECTIONS).
    let overlapping = std::env::var("BENCH_ACK_CONNECTIONS").unwrap_or_else(|_| "4".into());
    let runs = [
        ("1".to_string(), updates_run(tasks_total, "1")),
        (overlapping.clone(), updates_run(tasks_total, &overlapping)),
    ];

    // 2. Offers per second: decline everything with refuse_seconds 0 for 3 s.
    let offer_shared = Arc::new(Shared::default());
    let (cluster, driver) = started_decliner(&offer_shared, 0, false);
    let window = Duration::from_secs(3);
    std::thread::sleep(window);
    let offers = offer_shared.offers.load(Ordering::Relaxed);
    stop_bench(driver, cluster);

    // 3. Plain calls per second through the sender (RECONCILE of one unknown task would
    //    produce events; SUPPRESS of a role produces none).
    let (recorder_shared, calls_wanted) = (Arc::new(Shared::default()), 5000usize);
    let (cluster, driver) = started_decliner(&recorder_shared, 0, false);
    subscribed_framework_id(&cluster);
    let before = cluster.received_calls().len();
    let calls_started = Instant::now();
    for _ in 0..calls_wanted {
        driver.suppress_offers(Some(&["bench-role"])).unwrap();
    }
    while cluster.received_calls().len() < before + calls_wanted {
        std::thread::sleep(Duration::from_millis(1));
    }
    let calls_elapsed = calls_started.elapsed();
    stop_bench(driver, cluster);

    // 4. Callback latency at a steady 20,000 events/s: UPDATE events (no uuid, no ack)
    //    injected into the stream carry their injection time; the callback measures.
    let latency_shared = Arc::new(Shared::default());
    let (cluster, driver) = started_decliner(&latency_shared, usize::MAX, false);
    let framework_id = subscribed_framework_id(&cluster);
    let injected = updates_wanted.min(20_000);
    // Bursts of 10 every 0.5 ms: 20,000 events/s without one long burst queueing
    // behind itself.
    let burst = 10;
    let pace = Duration::from_micros(500);
    let mut next = Instant::now();
    for i in 0..injected / burst {
        for j in 0..burst {
            let event = mesos_sched::proto::scheduler::Event {
                r#type: Some(mesos_sched::proto::scheduler::event::Type::Update as i32),
                update: Some(mesos_sched::proto::scheduler::event::Update {
                    status: v1::TaskStatus {
                        task_id: v1::TaskId {
                            value: format!("i{}", i * burst + j),
                        },
                        state: v1::TaskState::TaskRunning as i32,
                        timestamp: Some(now_secs()),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            };
            cluster.inject_event(&framework_id, &event.encode_to_vec());
        }
        next += pace;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while latency_shared.updates.load(Ordering::Relaxed) < injected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut injected_latencies = std::mem::take(&mut *latency_shared.latencies_us.lock());
    injected_latencies.sort_unstable();
    stop_bench(driver, cluster);

    // 5. Offers through the driver: OFFERS events of 50 offers each injected into the
    //    stream as fast as possible; counted in the callback.
    let injected_shared = Arc::new(Shared::default());
    let (cluster, driver) = started_decliner(&injected_shared, 0, true);
    let framework_id = subscribed_framework_id(&cluster);
    let offers_event = mesos_sched::proto::scheduler::Event {
        r#type: Some(mesos_sched::proto::scheduler::event::Type::Offers as i32),
        offers: Some(mesos_sched::proto::scheduler::event::Offers {
            offers: (0..50)
                .map(|i| v1::Offer {
                    id: v1::OfferId {
                        value: format!("injected-{i}"),
                    },
                    framework_id: v1::FrameworkId {
                        value: framework_id.clone(),
                    },
                    agent_id: v1::AgentId {
                        value: "agent".into(),
                    },
                    hostname: "localhost".into(),
                    resources: vec![scalar("cpus", 4.0), scalar("mem", 8192.0)],
                    ..Default::default()
                })
                .collect(),
        }),
        ..Default::default()
    }
    .encode_to_vec();
    let baseline = injected_shared.offers.load(Ordering::Relaxed);
    let injected_offers = 100_000usize;
    let injected_started = Instant::now();
    for _ in 0..injected_offers / 50 {
        cluster.inject_event(&framework_id, &offers_event);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while injected_shared.offers.load(Ordering::Relaxed) < baseline + injected_offers
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let injected_elapsed = injected_started.elapsed();
    let injected_delivered = injected_shared.offers.load(Ordering::Relaxed) - baseline;
    stop_bench(driver, cluster);

    let mut rows: Vec<(String, String)> = Vec::new();
    for (connections, run) in &runs {
        let label = |what: &str| format!("{what} (ack.connections={connections})");
        rows.push((label("status updates delivered"), run.delivered.to_string()));
        rows.push((
            label("all acknowledged at the master"),
            run.acked.to_string(),
        ));
        if !run.call_error.is_empty() {
            rows.push((
                label("last failed call"),
                run.call_error.chars().take(40).collect(),
            ));
        }
        rows.push((
            label("updates delivered + acked per second"),
            format!("{:.0}", run.delivered as f64 / run.elapsed.as_secs_f64()),
        ));
        let per_update = |cpu: Duration| {
            format!(
                "{:.1} us",
                cpu.as_secs_f64() * 1e6 / run.delivered.max(1) as f64
            )
        };
        rows.push((
            label("CPU per update, driver threads"),
            per_update(run.driver_cpu),
        ));
        rows.push((
            label("CPU per update, mesos-local threads"),
            per_update(run.local_cpu),
        ));
        rows.push((
            label("update latency p50, agent -> callback, loaded"),
            format!("{} us", percentile(&run.latencies, 0.50)),
        ));
        rows.push((
            label("update latency p99, agent -> callback, loaded"),
            format!("{} us", percentile(&run.latencies, 0.99)),
        ));
    }
    let more: Vec<(&str, String)> = vec![
        (
            "offers delivered per second (decline, refuse 0 s)",
            format!("{:.0}", offers as f64 / window.as_secs_f64()),
        ),
        (
            "offers delivered per second (injected, 50 per event)",
            format!(
                "{:.0}",
                injected_delivered as f64 / injected_elapsed.as_secs_f64()
            ),
        ),
        (
            "callback latency p50 (inject -> callback, 20k/s)",
            format!("{} us", percentile(&injected_latencies, 0.50)),
        ),
        (
            "callback latency p99 (inject -> callback, 20k/s)",
            format!("{} us", percentile(&injected_latencies, 0.99)),
        ),
        (
            "sequential calls per second (SUPPRESS)",
            format!("{:.0}", calls_wanted as f64 / calls_elapsed.as_secs_f64()),
        ),
    ];
    rows.extend(more.into_iter().map(|(k, v)| (k.to_string(), v)));
    println!();
    println!("| {:<66} | {:>12} |", "metric", "value");
    println!("|{:-<68}|{:->14}|", "", "");
    for (metric, value) in rows {
        println!("| {metric:<66} | {value:>12} |");
    }
}
