//! `mesos-local`: a local Mesos cluster (masters + agents) on a port.
//! See `mesos-local --help` and docs/mesos-local.md.

use mesos_sched::local::{Framing, LocalConfig};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

const HELP: &str = "\
mesos-local: a local Apache Mesos cluster (masters + agents) serving the v1 scheduler
HTTP API (POST /api/v1/scheduler), for developing and testing Mesos frameworks.

USAGE:
    mesos-local [FLAGS]

FLAGS (FLAG VALUE and FLAG=VALUE both work):
    --ip IP                     Address to listen on (default 127.0.0.1).
    --port PORT                 Port of the first master; master i listens on PORT+i
                                (default 5050; 0 picks free ports).
    --masters K                 Number of masters (default 1). Master 0 leads; the others
                                answer 307 with the leader's Location.
    --agents N                  Number of agents (default 2).
    --resources SPEC            Resources per agent, upstream syntax
                                (default \"cpus:4;mem:8192;disk:65536;ports:[31000-32000]\").
    --heartbeat-interval SECS   Seconds between HEARTBEAT events (default 15; fractions ok).
    --status-update-retry SECS  First retry of an unacknowledged status update
                                (default 10, doubling up to 10 minutes, as upstream).
    --authenticate PRINCIPAL:SECRET
                                Require HTTP Basic authentication (401 otherwise).
    --simulate[=DURATION_MS]    Simulated tasks: no processes; each task runs DURATION_MS
                                (default 1000) unless its label mesos_local.duration_ms
                                says otherwise; label mesos_local.exit_code != 0 fails it.
    --work-dir DIR              Root of the task sandboxes (default: a fresh temporary
                                directory).
    --keep-work-dir             Do not remove the work directory at exit.
    --tls-cert FILE             PEM certificate: serve HTTPS (needs --tls-key).
    --tls-key FILE              PEM private key of --tls-cert.
    --zk URL                    Register the masters in ZooKeeper (zk://host:port/path).
    --log-level LEVEL           off, error, warn, info or debug (default info; the
                                environment variable MESOS_LOCAL_LOG also works).
    --framing MODE              How event streams are written: batched (default: events
                                queued together go out in one write) or per-event (each
                                event written and flushed on its own, as a real master).
    --admin                     Serve the fault-injection endpoint POST /admin/faults/...
                                (see docs/mesos-local.md).
    -h, --help                  Print this help.

Other endpoints: GET /state (JSON: frameworks, agents, tasks, offers), GET /health.
When ready it prints exactly one line to stdout: `mesos-local: listening on URL`.
SIGINT/SIGTERM kill the tasks, remove the work directory (unless kept) and exit 0.
";

fn fail(message: &str) -> ! {
    eprintln!("mesos-local: {message}");
    eprintln!("Try 'mesos-local --help'.");
    std::process::exit(2);
}

fn parse_secs(flag: &str, value: &str) -> Duration {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Duration::from_secs_f64(v),
        _ => fail(&format!(
            "{flag}: expecting a positive number of seconds, got '{value}'"
        )),
    }
}

fn parse_num<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| fail(&format!("{flag}: invalid value '{value}'")))
}

fn main() {
    let mut config = LocalConfig {
        port: 5050,
        // Nobody can read recorded calls out of the binary: keep none.
        record_calls: false,
        ..LocalConfig::default()
    };
    let mut log_level = Some("info".to_string());
    if std::env::var_os("MESOS_LOCAL_LOG").is_some() {
        log_level = None;
    }
    let mut tls_cert: Option<PathBuf> = None;
    let mut tls_key: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| -> String {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return;
            }
            "--ip" => config.ip = value("--ip"),
            "--port" => config.port = parse_num("--port", &value("--port")),
            "--masters" => {
                config.masters = parse_num("--masters", &value("--masters"));
                if config.masters == 0 {
                    fail("--masters must be at least 1");
                }
            }
            "--agents" => config.agents = parse_num("--agents", &value("--agents")),
            "--resources" => config.resources = value("--resources"),
            "--heartbeat-interval" => {
                config.heartbeat_interval =
                    parse_secs("--heartbeat-interval", &value("--heartbeat-interval"))
            }
            "--status-update-retry" => {
                config.status_update_retry =
                    parse_secs("--status-update-retry", &value("--status-update-retry"))
            }
            "--authenticate" => {
                let v = value("--authenticate");
                match v.split_once(':') {
                    Some((p, s)) if !p.is_empty() => {
                        config.authenticate = Some((p.to_string(), s.to_string()))
                    }
                    _ => fail("--authenticate: expecting PRINCIPAL:SECRET"),
                }
            }
            "--simulate" => {
                let ms: u64 = match &inline {
                    Some(v) => parse_num("--simulate", v),
                    None => 1000,
                };
                config.simulate = Some(Duration::from_millis(ms));
            }
            "--work-dir" => config.work_dir = Some(PathBuf::from(value("--work-dir"))),
            "--keep-work-dir" => config.keep_work_dir = true,
            "--tls-cert" => tls_cert = Some(PathBuf::from(value("--tls-cert"))),
            "--tls-key" => tls_key = Some(PathBuf::from(value("--tls-key"))),
            "--zk" => config.zk = Some(value("--zk")),
            "--log-level" => log_level = Some(value("--log-level")),
            "--admin" => config.admin = true,
            "--framing" => {
                let v = value("--framing");
                config.framing = Framing::parse(&v).unwrap_or_else(|| {
                    fail(&format!(
                        "--framing: expecting 'batched' or 'per-event', got '{v}'"
                    ))
                });
            }
            other => fail(&format!("unknown flag '{other}'")),
        }
    }
    match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => config.tls = Some((cert, key)),
        (None, None) => {}
        _ => fail("--tls-cert and --tls-key go together"),
    }
    if let Some(level) = log_level {
        if !mesos_sched::local::set_log_level(&level) {
            fail(&format!("--log-level: unknown level '{level}'"));
        }
    }

    // Block SIGINT/SIGTERM in every thread; the main thread waits for them.
    // SAFETY: plain signal mask manipulation before any thread exists.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }

    // With --zk the masters register in ZooKeeper, which elects the leader (src/local/zk.rs).
    #[cfg(feature = "zookeeper")]
    let started = mesos_sched::local::zk::ZkLocalCluster::start(config);
    #[cfg(not(feature = "zookeeper"))]
    let started = mesos_sched::local::LocalCluster::start(config);
    let cluster = match started {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("mesos-local: cannot start: {e}");
            std::process::exit(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "mesos-local: listening on {}", cluster.leader_url());
        let _ = out.flush();
    }
    let mut signal: libc::c_int = 0;
    // SAFETY: sigwait on the blocked set.
    unsafe {
        libc::sigwait(&set, &mut signal);
    }
    eprintln!("mesos-local: signal {signal} received, shutting down");
    cluster.shutdown();
}
