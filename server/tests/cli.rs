//! The `gantry` binary as a user runs it: import, export, and the one-line
//! errors for bad config and an unreachable database.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/infrastructure-status.md"
);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gantry-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn gantry(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .env(
            "GANTRY_DATABASE__URL",
            format!("sqlite://{}/gantry.db", dir.display()),
        )
        .env("GANTRY_LOG__FILTER", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn import_is_idempotent_and_export_round_trips() {
    let dir = temp_dir("roundtrip");
    let first = gantry(&dir, &["roadmap", "import", SEED]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("23 created, 0 updated, 0 retired, 0 unchanged"),
        "{}",
        stdout(&first)
    );

    let second = gantry(&dir, &["roadmap", "import", SEED]);
    assert!(
        stdout(&second).contains("0 created, 0 updated, 0 retired, 23 unchanged"),
        "{}",
        stdout(&second)
    );

    let exported = dir.join("exported.md");
    let export = gantry(
        &dir,
        &["roadmap", "export", "--output", exported.to_str().unwrap()],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.starts_with("# Infrastructure Status & Future Modules\n"));

    // The exported document is the same roadmap: importing it changes nothing.
    let third = gantry(&dir, &["roadmap", "import", exported.to_str().unwrap()]);
    assert!(
        stdout(&third).contains("23 unchanged"),
        "{}",
        stdout(&third)
    );
}

#[test]
fn malformed_document_is_refused_with_its_line() {
    let dir = temp_dir("malformed");
    let bad = dir.join("notes.md");
    std::fs::write(&bad, "# Team notes\n\n## Lunch options\n\n- pizza\n").unwrap();
    let out = gantry(&dir, &["roadmap", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("Lunch options"), "{err}");
    // Nothing was written: the export of the still-empty roadmap has no modules.
    let export = gantry(&dir, &["roadmap", "export"]);
    assert!(!stdout(&export).contains("**Networking Module**"));
}

#[test]
fn unknown_config_key_stops_with_one_line() {
    let dir = temp_dir("badconfig");
    let config = dir.join("gantry.toml");
    std::fs::write(
        &config,
        "[server]\nbind = \"127.0.0.1:3999\"\nlisten = true\n",
    )
    .unwrap();
    let out = gantry(
        &dir,
        &["--config", config.to_str().unwrap(), "check-config"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: config: server.listen: unknown field"),
        "{err}"
    );
}

#[test]
fn unreachable_database_stops_with_one_line_and_no_password() {
    let out = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["roadmap", "export"])
        .env(
            "GANTRY_DATABASE__URL",
            "postgres://gantry:hunter2@127.0.0.1:9/gantry",
        )
        .env("GANTRY_DATABASE__CONNECT_TIMEOUT_SECS", "2")
        .env("GANTRY_LOG__FILTER", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot open database postgres://gantry:***@127.0.0.1:9/gantry"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn audit_verify_passes_then_names_a_hand_edited_record() {
    let dir = temp_dir("audit");
    assert!(gantry(&dir, &["roadmap", "import", SEED]).status.success());
    let changed = dir.join("changed.md");
    let text = std::fs::read_to_string(SEED).unwrap().replace(
        "**Priority**: Low for Dev, High for Prod",
        "**Priority**: High",
    );
    std::fs::write(&changed, text).unwrap();
    assert!(
        gantry(&dir, &["roadmap", "import", changed.to_str().unwrap()])
            .status
            .success()
    );

    let ok = gantry(&dir, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).starts_with("audit chain ok: 2 records"),
        "{}",
        stdout(&ok)
    );

    // Someone with raw database access edits the first record's actor.
    let db = dir.join("gantry.db");
    let edit = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             c.execute('DROP TRIGGER audit_log_no_update')\n\
             c.execute(\"UPDATE audit_log SET actor = 'someone-else' WHERE id = 1\")\n\
             c.commit()\n",
        )
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        edit.status.success(),
        "{}",
        String::from_utf8_lossy(&edit.stderr)
    );
    let broken = gantry(&dir, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let err = stderr(&broken);
    assert!(err.contains("audit chain broken at record 1"), "{err}");
    assert!(err.contains("edited"), "{err}");
}

#[test]
fn dev_sign_in_on_a_public_or_https_url_stops_with_one_line() {
    let dir = temp_dir("devsignin");
    let config = dir.join("gantry.toml");
    let write = |public_url: &str| {
        std::fs::write(
            &config,
            format!(
                "[server]\npublic_url = \"{public_url}\"\n[auth.dev]\nenabled = true\nusers = [{{ subject = \"a\", name = \"A\", groups = [\"gantry-admins\"] }}]\n"
            ),
        )
        .unwrap();
    };
    let check = || {
        gantry(
            &dir,
            &["--config", config.to_str().unwrap(), "check-config"],
        )
    };
    for (public_url, why) in [
        (
            "https://gantry.example.com",
            "is https (a proxied deployment)",
        ),
        ("http://gantry.example.com", "is not a loopback URL"),
    ] {
        write(public_url);
        let out = check();
        assert_eq!(out.status.code(), Some(2), "{public_url}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: config: auth.dev.enabled:"), "{err}");
        assert!(err.contains(why), "{err}");
    }
    write("http://localhost:3000");
    let out = check();
    assert!(out.status.success(), "{}", stderr(&out));
}
