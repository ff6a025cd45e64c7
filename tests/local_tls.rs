//! HTTPS: the cluster serves TLS with a certificate made for the test (OpenSSL CLI),
//! checked with curl verifying that certificate.

use mesos_sched::local::{LocalCluster, LocalConfig};
use std::process::Command;
use std::time::Duration;

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl").args(args).output().expect("curl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn serves_https_with_the_given_certificate() {
    let dir = std::env::temp_dir().join(format!("mesos-local-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let cluster = LocalCluster::start(LocalConfig {
        tls: Some((cert.clone(), key.clone())),
        heartbeat_interval: Duration::from_millis(300),
        ..LocalConfig::default()
    })
    .unwrap();
    let base = cluster.leader_url();
    assert!(base.starts_with("https://127.0.0.1:"));
    let cacert = cert.to_str().unwrap();
    let (ok, body) = curl(&["-sS", "--cacert", cacert, &format!("{base}/health")]);
    assert!(ok);
    assert_eq!(body, "OK");
    // A subscription over TLS: SUBSCRIBED then heartbeats, until curl gives up.
    let (_, stream) = curl(&[
        "-sS",
        "-N",
        "--max-time",
        "1.5",
        "--cacert",
        cacert,
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"tls"}}}"#,
        &format!("{base}/api/v1/scheduler"),
    ]);
    assert!(stream.contains("\"SUBSCRIBED\""), "{stream}");
    assert!(stream.matches("\"HEARTBEAT\"").count() >= 2, "{stream}");
    // Without trusting the certificate, the handshake fails; plain HTTP gets no answer.
    assert!(!curl(&["-sS", &format!("{base}/health")]).0);
    let plain = base.replace("https://", "http://");
    assert!(!curl(&["-sS", "--max-time", "2", &format!("{plain}/health")]).0);
    drop(cluster);
    std::fs::remove_dir_all(&dir).unwrap();
}
