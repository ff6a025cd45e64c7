//! Throughput of the driver against the local cluster in simulated-task mode.
//!
//! `cargo bench --bench throughput` (optionally `-- UPDATES`, default 100000). Prints a
//! table: status updates delivered + implicitly acknowledged per second, offers per
//! second, and callback latency (TaskStatus.timestamp set by the simulated agent ->
//! the status_update callback) p50/p99. A benchmark, not a test: it never fails on time.

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

fn main() {
    let updates_wanted: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    // Three updates per simulated task: STARTING, RUNNING, FINISHED.
    let tasks_total = updates_wanted.div_ceil(3);

    // 1. Status updates delivered + acknowledged.
    let cluster = start_cluster();
    let shared = Arc::new(Shared::default());
    let bench = Bench {
        shared: shared.clone(),
        tasks_total,
        launched: 0,
        decline_only: false,
    };
    let driver = Driver::new(
        Box::new(bench),
        &framework_info(),
        &cluster.leader_url(),
        None,
        true,
    )
    .unwrap();
    if let Ok(lanes) = std::env::var("BENCH_ACK_CONNECTIONS") {
        driver.set_option("ack.connections", &lanes).unwrap();
    }
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
    driver.stop(false);
    drop(driver);
    let mut latencies = std::mem::take(&mut *shared.latencies_us.lock());
    latencies.sort_unstable();
    drop(cluster);

    // 2. Offers per second: decline everything with refuse_seconds 0 for 3 s.
    let cluster = start_cluster();
    let offer_shared = Arc::new(Shared::default());
    let bench = Bench {
        shared: offer_shared.clone(),
        tasks_total: 0,
        launched: 0,
        decline_only: true,
    };
    let driver = Driver::new(
        Box::new(bench),
        &framework_info(),
        &cluster.leader_url(),
        None,
        true,
    )
    .unwrap();
    driver.start();
    let window = Duration::from_secs(3);
    std::thread::sleep(window);
    let offers = offer_shared.offers.load(Ordering::Relaxed);
    driver.stop(false);
    drop(driver);
    drop(cluster);

    // 3. Plain calls per second through the sender (RECONCILE of one unknown task would
    //    produce events; SUPPRESS of a role produces none).
    let cluster = start_cluster();
    let (recorder_shared, calls_wanted) = (Arc::new(Shared::default()), 5000usize);
    let bench = Bench {
        shared: recorder_shared,
        tasks_total: 0,
        launched: 0,
        decline_only: true,
    };
    let driver = Driver::new(
        Box::new(bench),
        &framework_info(),
        &cluster.leader_url(),
        None,
        true,
    )
    .unwrap();
    driver.start();
    while cluster.framework_ids().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = cluster.received_calls().len();
    let calls_started = Instant::now();
    for _ in 0..calls_wanted {
        driver.suppress_offers(Some(&["bench-role"])).unwrap();
    }
    while cluster.received_calls().len() < before + calls_wanted {
        std::thread::sleep(Duration::from_millis(1));
    }
    let calls_elapsed = calls_started.elapsed();
    driver.stop(false);
    drop(driver);
    drop(cluster);

    // 4. Callback latency at a steady 20,000 events/s: UPDATE events (no uuid, no ack)
    //    injected into the stream carry their injection time; the callback measures.
    let cluster = start_cluster();
    let latency_shared = Arc::new(Shared::default());
    let bench = Bench {
        shared: latency_shared.clone(),
        tasks_total: usize::MAX,
        launched: 0,
        decline_only: true,
    };
    let driver = Driver::new(
        Box::new(bench),
        &framework_info(),
        &cluster.leader_url(),
        None,
        true,
    )
    .unwrap();
    driver.start();
    while cluster.framework_ids().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let framework_id = cluster.framework_ids()[0].clone();
    std::thread::sleep(Duration::from_millis(200));
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
    driver.stop(false);
    drop(driver);
    drop(cluster);

    let rows: Vec<(&str, String)> = vec![
        ("status updates delivered", delivered.to_string()),
        ("all acknowledged at the master", acked.to_string()),
        (
            "wall time, start -> all acked",
            format!("{:.2} s", elapsed.as_secs_f64()),
        ),
        (
            "updates delivered + acked per second",
            format!("{:.0}", delivered as f64 / elapsed.as_secs_f64()),
        ),
        (
            "offers delivered per second (decline, refuse 0 s)",
            format!("{:.0}", offers as f64 / window.as_secs_f64()),
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
            "update latency p50 (agent -> callback, under load)",
            format!("{} us", percentile(&latencies, 0.50)),
        ),
        (
            "update latency p99 (agent -> callback, under load)",
            format!("{} us", percentile(&latencies, 0.99)),
        ),
        (
            "sequential calls per second (SUPPRESS)",
            format!("{:.0}", calls_wanted as f64 / calls_elapsed.as_secs_f64()),
        ),
    ];
    println!();
    println!("| {:<52} | {:>12} |", "metric", "value");
    println!("|{:-<54}|{:->14}|", "", "");
    for (metric, value) in rows {
        println!("| {metric:<52} | {value:>12} |");
    }
}
