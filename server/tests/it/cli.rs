//! The `gantry` binary as a user runs it: import, export, and the one-line
//! errors for bad config and an unreachable database.

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

const DECEMBER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/editions/2024-12-infrastructure-status.md"
);

#[test]
fn a_later_edition_merges_twins_with_a_warning_and_an_older_one_needs_force() {
    let dir = temp_dir("editions");
    assert!(gantry(&dir, &["roadmap", "import", SEED]).status.success());

    // Strict: the module listed twice is refused, naming both lines once each.
    let strict = gantry(&dir, &["roadmap", "import", "--strict", DECEMBER]);
    assert_eq!(strict.status.code(), Some(1));
    let err = stderr(&strict);
    assert!(
        err.contains("duplicate module: \"Redis/ElastiCache Module\""),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let december = gantry(&dir, &["roadmap", "import", DECEMBER]);
    assert!(december.status.success(), "{}", stderr(&december));
    assert!(
        stdout(&december).contains("as edition #2: 1 created, 2 updated, 1 retired, 20 unchanged"),
        "{}",
        stdout(&december)
    );
    let warnings = stderr(&december);
    assert_eq!(warnings.matches("warning: ").count(), 2, "{warnings}");

    // November again: refused with both dates; then forced.
    let older = gantry(&dir, &["roadmap", "import", SEED]);
    assert_eq!(older.status.code(), Some(1));
    let err = stderr(&older);
    assert!(
        err.contains("November 2024") && err.contains("December 2024"),
        "{err}"
    );
    let export = stdout(&gantry(&dir, &["roadmap", "export"]));
    assert!(
        export.contains("- **Last Updated**: December 2024"),
        "{export}"
    );
    let forced = gantry(&dir, &["roadmap", "import", "--force", SEED]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(
        stdout(&forced).contains("as edition #3"),
        "{}",
        stdout(&forced)
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
    // Each problem said once.
    assert_eq!(err.matches("line 3").count(), 1, "{err}");
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
    assert!(err.contains("audit chain broken: record 1:"), "{err}");
    assert!(err.contains("edited"), "{err}");
}

const AUDIT_KEY: &str = "cli-test-audit-key-0123456789abcdef-xyz";

/// `gantry` with an audit key (and so the default checkpoint file beside the
/// SQLite database).
fn gantry_keyed(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .env(
            "GANTRY_DATABASE__URL",
            format!("sqlite://{}/gantry.db", dir.display()),
        )
        .env("GANTRY_LOG__FILTER", "warn")
        .env("GANTRY_AUDIT__KEY", AUDIT_KEY)
        .env("GANTRY_AUDIT__KEY_ID", "cli1")
        .output()
        .unwrap()
}

/// Runs Python `code` on the database with the append-only triggers dropped,
/// as someone with raw database access would; prints what `code` prints.
fn tamper(dir: &Path, code: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             c.execute('DROP TRIGGER IF EXISTS audit_log_no_update')\n\
             c.execute('DROP TRIGGER IF EXISTS audit_log_no_delete')\n\
             {code}\n\
             c.commit()\n"
        ))
        .arg(dir.join("gantry.db"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn keyed_audit_verify_names_an_edit_and_a_cut_from_the_checkpoint_file() {
    let dir = temp_dir("audit-keyed");
    let changed = dir.join("changed.md");
    let text = std::fs::read_to_string(SEED).unwrap().replace(
        "**Priority**: Low for Dev, High for Prod",
        "**Priority**: High",
    );
    std::fs::write(&changed, text).unwrap();
    for file in [SEED, changed.to_str().unwrap(), SEED] {
        let out = gantry_keyed(&dir, &["roadmap", "import", file]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let ok = gantry_keyed(&dir, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let report = stdout(&ok);
    assert!(
        report.starts_with("audit chain ok: 3 records, head "),
        "{report}"
    );
    assert!(!report.contains("legacy"), "{report}");
    assert!(report.contains("agrees (record 3)"), "{report}");

    // The checkpoint file beside the database: one MACed line per committed
    // append, never the key.
    let checkpoint = std::fs::read_to_string(dir.join("gantry.audit-checkpoint.jsonl")).unwrap();
    let ids: Vec<&str> = checkpoint
        .lines()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["{\"id\":1", "{\"id\":2", "{\"id\":3"], "{checkpoint}");
    assert!(checkpoint
        .lines()
        .all(|l| l.contains("\"key_id\":\"cli1\"")));
    assert!(!checkpoint.contains(AUDIT_KEY));

    // An edit of record 2 is named, and verify exits non-zero.
    let actor = tamper(
        &dir,
        "print(c.execute('SELECT actor FROM audit_log WHERE id = 2').fetchone()[0], end='')\n\
         c.execute(\"UPDATE audit_log SET actor = 'someone-else' WHERE id = 2\")",
    );
    let broken = gantry_keyed(&dir, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let err = stderr(&broken);
    assert!(
        err.starts_with("error: audit chain broken: record 2: MAC does not match (edited?)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Put back, then cut the newest record off: the chain alone looks whole.
    tamper(
        &dir,
        &format!("c.execute(\"UPDATE audit_log SET actor = ? WHERE id = 2\", ({actor:?},))"),
    );
    assert!(gantry_keyed(&dir, &["audit", "verify"]).status.success());
    tamper(&dir, "c.execute('DELETE FROM audit_log WHERE id = 3')");
    let cut = gantry_keyed(&dir, &["audit", "verify"]);
    assert_eq!(cut.status.code(), Some(1));
    assert_eq!(
        stderr(&cut).trim_end(),
        "error: audit chain broken: the chain was cut after record 2: the checkpoint file records 3"
    );

    // Without the key, nothing can be appended (the command stops at once)
    // and the keyed records cannot be verified.
    let keyless_import = gantry(&dir, &["roadmap", "import", SEED]);
    assert_eq!(keyless_import.status.code(), Some(1));
    assert!(
        stderr(&keyless_import).contains("no audit key is configured: set [audit] key"),
        "{}",
        stderr(&keyless_import)
    );
    // Without the key, the keyed records cannot be verified.
    let keyless = gantry(&dir, &["audit", "verify"]);
    assert_eq!(keyless.status.code(), Some(1));
    assert!(
        stderr(&keyless)
            .contains("record 1: MACed with key \"cli1\", but no audit key is configured"),
        "{}",
        stderr(&keyless)
    );
}

#[test]
fn a_short_audit_key_stops_start_up_with_one_line() {
    let dir = temp_dir("audit-short-key");
    let out = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["audit", "verify"])
        .env(
            "GANTRY_DATABASE__URL",
            format!("sqlite://{}/gantry.db", dir.display()),
        )
        .env("GANTRY_AUDIT__KEY", "only-20-bytes-long!!")
        .env("GANTRY_LOG__FILTER", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: config: audit.key:"), "{err}");
    assert!(!err.contains("only-20-bytes"), "{err}");
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

#[test]
fn jobs_are_listed_shown_and_cancelled_from_the_command_line() {
    let dir = temp_dir("jobs");
    let empty = gantry(&dir, &["jobs", "list"]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert_eq!(stdout(&empty).trim(), "no jobs");

    // A job queued as the server would (same database file).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let db = gantry_core::Db::connect(&gantry_core::db::DbOptions::new(format!(
            "sqlite://{}/gantry.db",
            dir.display()
        )))
        .await
        .unwrap();
        let job = gantry_core::jobs::store::enqueue(
            &db,
            &gantry_core::jobs::testing::new_job("dev", 2),
            gantry_core::clock::testing::clock().now(),
        )
        .await
        .unwrap();
        db.close().await;
        job.id
    });

    let list = gantry(&dir, &["jobs", "list", "--environment", "dev"]);
    assert!(stdout(&list).contains("queued"), "{}", stdout(&list));
    assert!(stdout(&list).contains(&id.to_string()));
    let show = gantry(&dir, &["jobs", "show", &id.to_string()]);
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(
        stdout(&show).contains("1. [pending] step-1"),
        "{}",
        stdout(&show)
    );
    assert!(
        stdout(&show).contains("before {\"value\":0}"),
        "{}",
        stdout(&show)
    );
    let cancel = gantry(&dir, &["jobs", "cancel", &id.to_string()]);
    assert!(cancel.status.success(), "{}", stderr(&cancel));
    assert!(stdout(&cancel).contains("Cancelled"), "{}", stdout(&cancel));
    let cancelled = gantry(&dir, &["jobs", "list", "--state", "cancelled"]);
    assert!(
        stdout(&cancelled).contains("cancelled by cli:"),
        "{}",
        stdout(&cancelled)
    );

    let again = gantry(&dir, &["jobs", "cancel", &id.to_string()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("cannot become cancelled"),
        "{}",
        stderr(&again)
    );
    let missing = gantry(&dir, &["jobs", "show", "999"]);
    assert!(
        stderr(&missing).contains("job 999 not found"),
        "{}",
        stderr(&missing)
    );
    let bad = gantry(&dir, &["jobs", "list", "--state", "exploded"]);
    assert!(
        stderr(&bad).contains("unknown job state"),
        "{}",
        stderr(&bad)
    );
}
