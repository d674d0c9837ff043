//! The real `gantry` binary as a child process, for the crash and replica
//! tests: killed (SIGKILL) when dropped.

use std::process::Child;

pub struct GantryProcess(pub Child);

impl Drop for GantryProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits (60 s at most) until the process on `port` answers `/readyz`
/// with 200; panics if it exits first.
pub async fn wait_ready(port: u16, process: &mut GantryProcess) {
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = process.0.try_wait() {
            panic!("gantry on port {port} exited: {status}");
        }
        if let Ok(reply) = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if reply.status().is_success() {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "gantry on port {port} not ready in 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Signs `subject` in through the development sign-in of the process at
/// `base` (a plain form POST, as the sign-in page's button sends it) and
/// returns the session cookie (`gantry_session=…`) to send back.
pub async fn dev_sign_in(http: &reqwest::Client, base: &str, subject: &str) -> String {
    let reply = http
        .post(format!("{base}/auth/dev"))
        .header("origin", base)
        .form(&[("subject", subject), ("return_to", "/")])
        .send()
        .await
        .expect("sign in");
    reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gantry_session=") && !v.starts_with("gantry_session=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .expect("a session cookie")
}
