//! Shared helpers of the tests/zk_*.rs suites: the ZooKeeper server the test command
//! started (MESOS_SCHED_TEST_ZK), private servers for restart tests, and a session of
//! the library's own ZooKeeper client to create members ourselves.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_sched::zk;

/// `host:port` of the ZooKeeper server that the test command started. Missing -> the
/// test FAILS: these tests are part of the suite, not optional.
pub fn zk_server() -> String {
    match std::env::var("MESOS_SCHED_TEST_ZK") {
        Ok(server) if !server.trim().is_empty() => server.trim().to_string(),
        _ => panic!(
            "MESOS_SCHED_TEST_ZK is not set: start a real ZooKeeper first, e.g.\n  \
             export MESOS_SCHED_TEST_ZK=$(scripts/zookeeper.sh start)\n\
             (the project's test command does this)"
        ),
    }
}

/// A group path no other test (or earlier run) uses.
pub fn unique_path(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "/mesos-sched-test/{name}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// MasterInfo JSON as a 1.12 master writes it, for 127.0.0.1:port.
pub fn master_info_json(port: u16) -> Vec<u8> {
    serde_json::json!({
        "address": {"hostname": "127.0.0.1", "ip": "127.0.0.1", "port": port},
        "capabilities": [{"type": "AGENT_UPDATE"}],
        "hostname": "127.0.0.1",
        "id": format!("master-{port}"),
        "ip": 16777343u32,
        "pid": format!("master@127.0.0.1:{port}"),
        "port": port,
        "version": "1.12.0"
    })
    .to_string()
    .into_bytes()
}

/// One ZooKeeper session of the test (its ephemeral nodes live as long as it). A
/// keep-alive thread pings (and reconnects) between the test's calls.
pub struct Session {
    client: Arc<Mutex<Option<zk::Client>>>,
    stop: Arc<zk::Interrupt>,
    keepalive: Option<std::thread::JoinHandle<()>>,
}

impl Session {
    pub fn connect(servers: &str, digest: Option<&str>) -> Session {
        let mut connector =
            zk::Connector::from_connect_string(servers).session_timeout(Duration::from_secs(10));
        if let Some(digest) = digest {
            connector = connector.digest(digest.as_bytes().to_vec());
        }
        let client = connector.connect().expect("cannot connect to ZooKeeper");
        let client = Arc::new(Mutex::new(Some(client)));
        let stop = Arc::new(zk::Interrupt::new().unwrap());
        let keepalive = {
            let (client, stop) = (client.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.is_raised() {
                    let alive = match client.lock().unwrap().as_mut() {
                        Some(client) => client
                            .wait_event_or(Duration::from_millis(100), &[&stop])
                            .is_ok(),
                        None => false,
                    };
                    if !alive {
                        // Expired or closed: nothing to keep alive; just wait for the end.
                        zk::Interrupt::sleep(&[&stop], Duration::from_millis(100));
                    }
                }
            })
        };
        Session {
            client,
            stop,
            keepalive: Some(keepalive),
        }
    }

    fn with<T>(&self, call: impl FnOnce(&mut zk::Client) -> T) -> T {
        call(
            self.client
                .lock()
                .unwrap()
                .as_mut()
                .expect("session closed"),
        )
    }

    /// Creates `path` and its parents (persistent, open ACL) if missing.
    pub fn mkdir(&self, path: &str) {
        self.mkdir_with(path, zk::Acl::open());
    }

    pub fn mkdir_with(&self, path: &str, acls: Vec<zk::Acl>) {
        self.with(|client| client.mkdir(path, &acls))
            .expect("mkdir");
    }

    /// Creates an ephemeral sequential member `path/prefix<seq>`; returns its name.
    pub fn join(&self, path: &str, prefix: &str, data: &[u8]) -> String {
        self.join_with(path, prefix, data, zk::Acl::open())
            .expect("create member")
    }

    pub fn join_with(
        &self,
        path: &str,
        prefix: &str,
        data: &[u8],
        acls: Vec<zk::Acl>,
    ) -> Result<String, zk::ZkError> {
        let node = format!("{path}/{prefix}");
        let created = self.with(|client| {
            client.create(&node, data, &acls, zk::CreateMode::EphemeralSequential)
        })?;
        Ok(created.rsplit('/').next().unwrap().to_string())
    }

    /// Creates a persistent node (for non-member children).
    pub fn create_persistent(&self, path: &str, data: &[u8]) {
        self.with(|client| client.create(path, data, &zk::Acl::open(), zk::CreateMode::Persistent))
            .expect("create persistent node");
    }

    pub fn delete(&self, path: &str) {
        self.try_delete(path).expect("delete");
    }

    pub fn try_delete(&self, path: &str) -> Result<(), zk::ZkError> {
        self.with(|client| client.delete(path, None))
    }

    pub fn children(&self, path: &str) -> Vec<String> {
        let mut children = self
            .with(|client| client.get_children(path, false))
            .expect("list children");
        children.sort();
        children
    }

    /// Closes the session (its ephemeral members disappear) and waits for it (bounded:
    /// with ZooKeeper down the close cannot be confirmed).
    pub fn close(&mut self) {
        self.stop.raise();
        if let Some(keepalive) = self.keepalive.take() {
            keepalive.join().unwrap();
        }
        if let Some(mut client) = self.client.lock().unwrap().take() {
            client.close(Duration::from_secs(2));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// A private ZooKeeper server (scripts/zookeeper.sh) for tests that stop/restart it.
pub struct PrivateServer {
    pub dir: PathBuf,
    pub address: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/zookeeper.sh")
}

fn run_script(command: &str, dir: &PathBuf) -> String {
    let output = Command::new("bash")
        .arg(script())
        .arg(command)
        .arg(dir)
        .output()
        .expect("run scripts/zookeeper.sh");
    assert!(
        output.status.success(),
        "scripts/zookeeper.sh {command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

impl PrivateServer {
    pub fn start(name: &str) -> PrivateServer {
        let dir = std::env::temp_dir().join(format!(
            "mesos-sched-zk-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let address = run_script("start", &dir);
        PrivateServer { dir, address }
    }

    pub fn stop(&self) {
        run_script("stop", &self.dir);
    }

    /// Starts it again on the same port with the same data.
    pub fn start_again(&self) {
        let address = run_script("start", &self.dir);
        assert_eq!(address, self.address, "restarted on another port");
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("clean")
            .arg(&self.dir)
            .output();
    }
}

/// Expires a session from outside, the standard way: attach to it with its id and
/// password from another client, then close it. Repeats until ZooKeeper answers that
/// the session is expired (its owner may win it back in between).
pub fn expire_session(servers: &str, session: zk::SessionInfo) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = zk::Connector::from_connect_string(servers)
            .session(session.clone())
            .session_timeout(Duration::from_secs(10))
            .connect();
        match attempt {
            Err(zk::ZkError::SessionExpired) => return,
            Ok(mut thief) => thief.close(Duration::from_secs(5)),
            Err(e) => eprintln!("expiring the session: {e}; trying again"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "could not expire the session"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
