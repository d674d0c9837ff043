//! Audit storage, run against SQLite and PostgreSQL alike.

use std::collections::HashSet;
use std::time::Duration;

use gantry_core::audit::chain::{record_hash, record_link, record_mac, GENESIS_PREV_HASH};
use gantry_core::audit::export::{self, ExportFormat, CSV_HEADER};
use gantry_core::audit::keys::testing as test_keys;
use gantry_core::audit::store;
use gantry_core::audit::{
    AuditFilter, AuditKey, AuditKeyring, AuditRecord, AuditSettings, AuditedTx, CheckpointCheck,
    NewAuditEntry, PageRequest, VerifyReport,
};
use gantry_core::db::Backend;
use gantry_core::{CoreError, Db};
use serde_json::json;

fn entry(actor: &str, action: &str, target: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor: actor.into(),
        role: Some("admin".into()),
        action: action.into(),
        target: target.into(),
        before: Some(
            json!({"status": "planned", "owner": "team-a", "envs": {"prod": 1, "dev": 2}}),
        ),
        after: Some(
            json!({"status": "deployed", "owner": "team-a", "envs": {"prod": 1, "dev": 3}}),
        ),
        request_id: Some("req-123".into()),
    }
}

/// Appends `n` records (actor `user{i}`) in one transaction, committed with
/// [`AuditedTx::commit`] (which checkpoints the head).
async fn append_many(db: &Db, n: usize) -> Vec<AuditRecord> {
    let mut tx = AuditedTx::begin(db).await.unwrap();
    let mut records = Vec::with_capacity(n);
    for i in 1..=n {
        let e = entry(&format!("user{i}"), "roadmap.module.update", "module:waf");
        records.push(tx.record(&e).await.unwrap());
    }
    let last = tx.commit().await.unwrap();
    assert_eq!(&last, records.last().unwrap());
    records
}

/// The parts of an `Ok` report: records, legacy records, head, checkpoint.
async fn verified(db: &Db) -> (u64, u64, String, CheckpointCheck) {
    match store::verify(db).await.unwrap() {
        VerifyReport::Ok {
            records,
            legacy_records,
            last_hash,
            checkpoint,
        } => (records, legacy_records, last_hash, checkpoint),
        other => panic!("expected an intact chain: {other:?}"),
    }
}

fn checkpoint_id(check: &CheckpointCheck) -> Option<i64> {
    match check {
        CheckpointCheck::Matched { id, .. } => Some(*id),
        _ => None,
    }
}

/// `db`'s pool with other audit settings: the same database, another keyring.
fn with_keys(db: &Db, keyring: Option<AuditKeyring>, checkpoint: Option<&Db>) -> Db {
    db.clone().with_audit(AuditSettings {
        keyring,
        checkpoint_file: checkpoint.and_then(|d| d.audit().checkpoint_path().map(Into::into)),
    })
}

/// What an attacker with write access to the database does after editing
/// record `from`: recompute `hash`, `prev_hash` and (with `key`) `mac` of every
/// record from it on, so that the chain links again. Without `key` the records
/// are rewritten as legacy, unkeyed SHA-256 records.
async fn recompute_from(db: &Db, records: &mut [AuditRecord], from: i64, key: Option<&AuditKey>) {
    let mut prev = records
        .iter()
        .find(|r| r.id == from - 1)
        .map(|r| record_link(r).to_owned())
        .unwrap_or_else(|| GENESIS_PREV_HASH.to_owned());
    for r in records.iter_mut().filter(|r| r.id >= from) {
        r.prev_hash = prev.clone();
        r.key_id = key.map(|k| k.id().to_owned());
        r.mac = None;
        r.hash = record_hash(r).unwrap();
        r.mac = key.map(|k| record_mac(k, r).unwrap());
        sqlx::query(
            "UPDATE audit_log SET actor = $1, prev_hash = $2, hash = $3, key_id = $4, mac = $5 WHERE id = $6",
        )
        .bind(&r.actor)
        .bind(&r.prev_hash)
        .bind(&r.hash)
        .bind(r.key_id.as_deref())
        .bind(r.mac.as_deref())
        .bind(r.id)
        .execute(db.pool())
        .await
        .unwrap();
        prev = record_link(r).to_owned();
    }
}

async fn raw(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(sql)
        .execute(db.pool())
        .await
        .map(|r| r.rows_affected())
}

/// What someone with raw database access could do: remove the guards.
async fn drop_triggers(db: &Db) {
    for name in ["audit_log_no_update", "audit_log_no_delete"] {
        let sql = match db.backend() {
            Backend::Sqlite => format!("DROP TRIGGER {name}"),
            Backend::Postgres => format!("DROP TRIGGER {name} ON audit_log"),
        };
        raw(db, &sql).await.unwrap();
    }
}

async fn all_newest_first(db: &Db) -> Vec<AuditRecord> {
    store::query(db, &AuditFilter::default(), &PageRequest::first(200))
        .await
        .unwrap()
        .records
}

fn broken(id: i64, reason: &str, records_checked: u64) -> VerifyReport {
    VerifyReport::Broken {
        id,
        reason: reason.into(),
        records_checked,
    }
}

async fn appended_records_form_a_verified_chain(db: Db) {
    let (records, legacy, head, checkpoint) = verified(&db).await;
    assert_eq!((records, legacy, head.as_str()), (0, 0, GENESIS_PREV_HASH));
    assert!(
        matches!(checkpoint, CheckpointCheck::Empty { missing: true, .. }),
        "{checkpoint:?}"
    );
    let mut tx = AuditedTx::begin(&db).await.unwrap();
    let mut appended = Vec::new();
    for action in ["roadmap.import", "roadmap.module.update", "auth.sign_in"] {
        let e = entry("alice", action, "roadmap");
        appended.push(tx.record(&e).await.unwrap());
    }
    tx.commit().await.unwrap();

    assert_eq!(
        appended.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // Each record is MACed with the test key and links to the previous MAC.
    let key = test_keys::keyring().current().clone();
    assert_eq!(appended[0].prev_hash, "0".repeat(64));
    assert_eq!(Some(&appended[1].prev_hash), appended[0].mac.as_ref());
    assert_eq!(Some(&appended[2].prev_hash), appended[1].mac.as_ref());
    assert!(appended.windows(2).all(|w| w[0].at <= w[1].at));
    for r in &appended {
        assert_eq!(r.at.len(), "2026-11-25T09:30:00.123Z".len(), "{}", r.at);
        assert!(r.at.ends_with('Z'), "{}", r.at);
        assert_eq!(record_hash(r).unwrap(), r.hash);
        assert_eq!(r.key_id.as_deref(), Some("test"));
        assert_eq!(r.mac.clone(), Some(record_mac(&key, r).unwrap()));
    }
    let (records, legacy, head, checkpoint) = verified(&db).await;
    assert_eq!((records, legacy), (3, 0));
    assert_eq!(Some(head), appended[2].mac.clone());
    assert_eq!(checkpoint_id(&checkpoint), Some(3), "{checkpoint:?}");

    // What the database gives back is exactly what was appended.
    let mut stored = all_newest_first(&db).await;
    stored.reverse();
    assert_eq!(stored, appended);

    // A null state is stored as no state.
    let mut e = entry("bob", "auth.sign_out", "user:bob");
    e.before = Some(serde_json::Value::Null);
    e.after = None;
    e.role = None;
    e.request_id = None;
    let r = store::append_standalone(&db, &e).await.unwrap();
    assert_eq!((r.id, r.before.clone(), r.after.clone()), (4, None, None));
    assert_eq!(all_newest_first(&db).await[0], r);
    assert!(store::verify(&db).await.unwrap().is_ok());
}

async fn rolled_back_transaction_leaves_no_record(db: Db) {
    let first = store::append_standalone(&db, &entry("alice", "auth.sign_in", "user:alice"))
        .await
        .unwrap();

    let mut tx = AuditedTx::begin(&db).await.unwrap();
    sqlx::query("INSERT INTO roadmap_meta (key, value) VALUES ($1, $2)")
        .bind("audit-test")
        .bind("the change being recorded")
        .execute(&mut *tx)
        .await
        .unwrap();
    let doomed = tx
        .record(&entry("alice", "roadmap.import", "roadmap"))
        .await
        .unwrap();
    assert_eq!(doomed.id, 2);
    tx.rollback().await.unwrap();

    assert_eq!(all_newest_first(&db).await, vec![first.clone()]);
    let meta = sqlx::query("SELECT key FROM roadmap_meta WHERE key = 'audit-test'")
        .fetch_optional(db.pool())
        .await
        .unwrap();
    assert!(meta.is_none(), "the change rolled back with its record");
    // Nor a checkpoint: the rolled-back record is not mistaken for a cut.
    let (records, _, head, checkpoint) = verified(&db).await;
    assert_eq!((records, Some(head)), (1, first.mac.clone()));
    assert_eq!(checkpoint_id(&checkpoint), Some(1), "{checkpoint:?}");

    // The next append reuses the id and follows the surviving record.
    let next = store::append_standalone(&db, &entry("bob", "auth.sign_in", "user:bob"))
        .await
        .unwrap();
    assert_eq!((next.id, Some(next.prev_hash.clone())), (2, first.mac));
    assert!(store::verify(&db).await.unwrap().is_ok());
}

async fn database_refuses_updates_and_deletes(db: Db) {
    append_many(&db, 2).await;
    for sql in [
        "UPDATE audit_log SET actor = 'mallory' WHERE id = 1",
        "UPDATE audit_log SET after_json = NULL",
        "UPDATE audit_log SET key_id = NULL, mac = NULL",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log",
    ] {
        let err = raw(&db, sql).await.unwrap_err();
        assert!(
            err.to_string().contains("audit_log is append-only"),
            "{sql}: {err}"
        );
    }
    if db.backend() == Backend::Postgres {
        let err = raw(&db, "TRUNCATE audit_log").await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(all_newest_first(&db).await.len(), 2);
    assert!(store::verify(&db).await.unwrap().is_ok());
}

async fn edited_actor_is_detected(db: Db) {
    append_many(&db, 5).await;
    drop_triggers(&db).await;
    assert_eq!(
        raw(&db, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(3, "MAC does not match (edited?)", 2)
    );
}

async fn edited_json_is_detected(db: Db) {
    append_many(&db, 4).await;
    drop_triggers(&db).await;

    // The same JSON with its keys reordered and spaced out is the same record.
    raw(
        &db,
        r#"UPDATE audit_log SET after_json = '{ "status": "deployed", "envs": {"dev": 3, "prod": 1}, "owner": "team-a" }' WHERE id = 2"#,
    )
    .await
    .unwrap();
    assert!(store::verify(&db).await.unwrap().is_ok());

    raw(
        &db,
        r#"UPDATE audit_log SET after_json = '{"envs":{"dev":3,"prod":1},"owner":"team-b","status":"deployed"}' WHERE id = 2"#,
    )
    .await
    .unwrap();
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(2, "MAC does not match (edited?)", 1)
    );

    raw(
        &db,
        "UPDATE audit_log SET after_json = '{oops' WHERE id = 2",
    )
    .await
    .unwrap();
    match store::verify(&db).await.unwrap() {
        VerifyReport::Broken {
            id: 2,
            reason,
            records_checked: 1,
        } => assert!(
            reason.contains("after_json is not valid JSON")
                && reason.ends_with("the record was edited"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

async fn edit_with_recomputed_hash_fails_its_mac(db: Db) {
    let records = append_many(&db, 4).await;
    drop_triggers(&db).await;
    let mut forged = records[1].clone();
    forged.actor = "mallory".into();
    forged.hash = record_hash(&forged).unwrap();
    sqlx::query("UPDATE audit_log SET actor = $1, hash = $2 WHERE id = 2")
        .bind(&forged.actor)
        .bind(&forged.hash)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(2, "MAC does not match (edited?)", 1)
    );
}

/// The attacker drops the triggers, edits record 17 and recomputes the chain
/// from there: with a key of their own under the same name, or as the legacy
/// SHA-256 chain the old format was. Verify names record 17 either way; a
/// rewrite of the whole chain as legacy records is caught by the checkpoint.
async fn edit_recomputed_with_a_wrong_key_or_plain_sha256_is_named(db: Db) {
    let mut records = append_many(&db, 20).await;
    assert_eq!(checkpoint_id(&verified(&db).await.3), Some(20));
    drop_triggers(&db).await;
    records[16].actor = "mallory".into();

    let wrong = test_keys::key("test", "attacker");
    recompute_from(&db, &mut records, 17, Some(&wrong)).await;
    let report = store::verify(&db).await.unwrap();
    assert_eq!(report, broken(17, "MAC does not match (edited?)", 16));
    assert_eq!(
        report.summary(),
        "audit chain broken: record 17: MAC does not match (edited?) (16 records checked before it)"
    );

    recompute_from(&db, &mut records, 17, None).await;
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(
            17,
            "unkeyed (legacy) record after keyed records (rewritten without the key?)",
            16
        )
    );

    // Every record rewritten as a legacy record: a consistent SHA-256 chain,
    // but the checkpoint file says record 20 had a MAC.
    recompute_from(&db, &mut records, 1, None).await;
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(
            20,
            "its MAC is not the one the checkpoint file records (rewritten?)",
            19
        )
    );
}

/// The attacker drops the triggers and deletes the newest 5 records: the rest
/// is a valid chain, and only the checkpoint file shows it was cut.
async fn cut_off_newest_records_are_detected(db: Db) {
    for i in 1..=12 {
        store::append_standalone(&db, &entry(&format!("user{i}"), "auth.sign_in", "user:x"))
            .await
            .unwrap();
    }
    assert_eq!(checkpoint_id(&verified(&db).await.3), Some(12));
    drop_triggers(&db).await;
    assert_eq!(
        raw(&db, "DELETE FROM audit_log WHERE id > 7")
            .await
            .unwrap(),
        5
    );
    let report = store::verify(&db).await.unwrap();
    assert_eq!(
        report,
        VerifyReport::Cut {
            last_id: 7,
            checkpoint_id: 12,
            records_checked: 7
        }
    );
    assert_eq!(
        report.summary(),
        "audit chain broken: the chain was cut after record 7: the checkpoint file records 12"
    );
    assert!(!report.is_ok());

    // Without a checkpoint file, the cut chain looks whole, and says so.
    let blind = with_keys(&db, Some(test_keys::keyring()), None);
    let report = store::verify(&blind).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert!(
        report
            .summary()
            .contains("removal of the newest records cannot be detected"),
        "{}",
        report.summary()
    );

    // The cut goes unnoticed by the server, which appends records 8 to 14:
    // the chain is whole and longer than the checkpointed head, but record 8
    // is not the record 8 the checkpoint file saw.
    for i in 8..=14 {
        store::append_standalone(&db, &entry(&format!("later{i}"), "auth.sign_in", "user:x"))
            .await
            .unwrap();
    }
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(
            8,
            "its MAC is not the one the checkpoint file records (rewritten?)",
            7
        )
    );

    raw(&db, "DELETE FROM audit_log").await.unwrap();
    assert_eq!(
        store::verify(&db).await.unwrap(),
        VerifyReport::Cut {
            last_id: 0,
            checkpoint_id: 14,
            records_checked: 0
        }
    );
}

/// Records MACed under key k1, then, after a rotation, under k2 with k1 kept
/// as a previous key: all verify. Without k1, the first k1 record is named.
async fn rotated_keys_verify_with_the_keyring(db: Db) {
    let k1 = test_keys::key("k1", "first");
    let k2 = test_keys::key("k2", "second");
    let before = with_keys(
        &db,
        Some(AuditKeyring::new(k1.clone(), vec![]).unwrap()),
        Some(&db),
    );
    append_many(&before, 3).await;
    let after = with_keys(
        &db,
        Some(AuditKeyring::new(k2.clone(), vec![k1.clone()]).unwrap()),
        Some(&db),
    );
    append_many(&after, 3).await;

    let stored: Vec<Option<String>> = all_newest_first(&db)
        .await
        .into_iter()
        .rev()
        .map(|r| r.key_id)
        .collect();
    let names = |n: &str| Some(n.to_owned());
    assert_eq!(
        stored,
        vec![
            names("k1"),
            names("k1"),
            names("k1"),
            names("k2"),
            names("k2"),
            names("k2")
        ]
    );
    let (records, legacy, _, checkpoint) = verified(&after).await;
    assert_eq!(
        (records, legacy, checkpoint_id(&checkpoint)),
        (6, 0, Some(6))
    );

    let only_k2 = with_keys(&db, Some(AuditKeyring::new(k2, vec![]).unwrap()), Some(&db));
    assert_eq!(
        store::verify(&only_k2).await.unwrap(),
        broken(
            1,
            "unknown key \"k1\": neither [audit] key_id nor one of [audit] previous_keys",
            0
        )
    );
    // A previous key named k1 with another secret is no help either.
    let wrong_k1 = with_keys(
        &db,
        Some(
            AuditKeyring::new(
                test_keys::key("k2", "second"),
                vec![test_keys::key("k1", "other")],
            )
            .unwrap(),
        ),
        Some(&db),
    );
    assert_eq!(
        store::verify(&wrong_k1).await.unwrap(),
        broken(1, "MAC does not match (edited?)", 0)
    );
    // And with no key at all, keyed records cannot be checked nor extended.
    let keyless = with_keys(&db, None, None);
    assert_eq!(
        store::verify(&keyless).await.unwrap(),
        broken(
            1,
            "MACed with key \"k1\", but no audit key is configured",
            0
        )
    );
    let refused =
        store::append_standalone(&keyless, &entry("eve", "auth.sign_in", "user:eve")).await;
    assert!(matches!(refused, Err(CoreError::Corrupt(_))), "{refused:?}");
    assert_eq!(all_newest_first(&db).await.len(), 6);
}

/// Records written before a key was configured verify as legacy records and
/// are counted; the first keyed record's MAC then covers the legacy head.
async fn legacy_records_before_the_key_still_verify(db: Db) {
    let legacy_db = with_keys(&db, None, None);
    let mut records = append_many(&legacy_db, 3).await;
    assert!(records
        .iter()
        .all(|r| r.key_id.is_none() && r.mac.is_none()));
    let (n, legacy, _, checkpoint) = verified(&legacy_db).await;
    assert_eq!(
        (n, legacy, checkpoint),
        (3, 3, CheckpointCheck::NotConfigured)
    );

    records.extend(append_many(&db, 2).await);
    assert_eq!(records[3].prev_hash, records[2].hash);
    let report = store::verify(&db).await.unwrap();
    let (n, legacy, _, checkpoint) = verified(&db).await;
    assert_eq!((n, legacy, checkpoint_id(&checkpoint)), (5, 3, Some(5)));
    assert!(
        report.summary().contains("3 legacy records"),
        "{}",
        report.summary()
    );

    // Editing a legacy record and recomputing the SHA-256 chain after it
    // cannot produce the MAC of the keyed record that follows.
    drop_triggers(&db).await;
    records[1].actor = "mallory".into();
    recompute_from(&db, &mut records[..3], 2, None).await;
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(4, "prev_hash does not match record 3", 3)
    );
}

/// A checkpoint file that cannot be written never fails the user's action.
async fn unwritable_checkpoint_never_fails_an_append(db: Db) {
    let dir = std::env::temp_dir().join(format!(
        "gantry-unwritable-checkpoint-{}-{:?}",
        std::process::id(),
        db.backend()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // A directory where the file should be.
    let broken_db = db.clone().with_audit(AuditSettings {
        keyring: Some(test_keys::keyring()),
        checkpoint_file: Some(dir.clone()),
    });
    store::append_standalone(&broken_db, &entry("alice", "auth.sign_in", "user:a"))
        .await
        .unwrap();
    store::append_standalone(&broken_db, &entry("bob", "auth.sign_in", "user:b"))
        .await
        .unwrap();
    assert!(broken_db.audit().checkpoint_failures() >= 2);
    assert_eq!(all_newest_first(&db).await.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

async fn deleted_records_are_detected(db: Db) {
    append_many(&db, 6).await;
    drop_triggers(&db).await;
    raw(&db, "DELETE FROM audit_log WHERE id = 3")
        .await
        .unwrap();
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(3, "record 3 is missing", 2)
    );
    raw(&db, "DELETE FROM audit_log WHERE id = 4")
        .await
        .unwrap();
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(3, "records 3 to 4 are missing", 2)
    );
    raw(&db, "DELETE FROM audit_log WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(
        store::verify(&db).await.unwrap(),
        broken(1, "record 1 is missing", 0)
    );
}

async fn query_filters(db: Db) {
    let sign_in = |actor: &str| entry(actor, "auth.sign_in", &format!("user:{actor}"));
    let add = |e: NewAuditEntry| {
        let db = db.clone();
        async move { store::append_standalone(&db, &e).await.unwrap() }
    };
    add(sign_in("alice")).await;
    add(entry("alice", "roadmap.import", "roadmap")).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let middle = add(entry("bob", "roadmap.module.update", "module:waf")).await;
    add(entry("alice", "roadmap.module.update", "module:vpc")).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let late = add(sign_in("bob")).await;
    add(entry("carol", "roadmapper.x", "module:waf")).await;

    let ids = |filter: AuditFilter| {
        let db = db.clone();
        async move {
            store::query(&db, &filter, &PageRequest::default())
                .await
                .unwrap()
                .records
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(AuditFilter::default()).await, vec![6, 5, 4, 3, 2, 1]);
    assert_eq!(
        ids(AuditFilter {
            actor: Some("alice".into()),
            ..Default::default()
        })
        .await,
        vec![4, 2, 1]
    );
    assert_eq!(
        ids(AuditFilter {
            action: Some("roadmap.*".into()),
            ..Default::default()
        })
        .await,
        vec![4, 3, 2],
        "a prefix ends at the dot: roadmapper.x is not roadmap.*"
    );
    assert_eq!(
        ids(AuditFilter {
            action: Some("roadmap.module.update".into()),
            ..Default::default()
        })
        .await,
        vec![4, 3]
    );
    assert_eq!(
        ids(AuditFilter {
            action: Some("roadmap".into()),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new(),
        "without `*` the action matches exactly"
    );
    assert_eq!(
        ids(AuditFilter {
            target: Some("module:waf".into()),
            ..Default::default()
        })
        .await,
        vec![6, 3]
    );
    assert_eq!(
        ids(AuditFilter {
            actor: Some("bob".into()),
            action: Some("auth.*".into()),
            ..Default::default()
        })
        .await,
        vec![5]
    );
    // from is inclusive, to exclusive.
    assert_eq!(
        ids(AuditFilter {
            from: Some(middle.at.clone()),
            to: Some(late.at.clone()),
            ..Default::default()
        })
        .await,
        vec![4, 3]
    );
    assert_eq!(
        ids(AuditFilter {
            to: Some(middle.at.clone()),
            ..Default::default()
        })
        .await,
        vec![2, 1]
    );
    // Any RFC 3339 offset is understood.
    let from = chrono::DateTime::parse_from_rfc3339(&late.at)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap())
        .to_rfc3339();
    assert_eq!(
        ids(AuditFilter {
            from: Some(from),
            ..Default::default()
        })
        .await,
        vec![6, 5]
    );
    // Empty strings are no filter (an HTML form's empty fields).
    assert_eq!(
        ids(AuditFilter {
            actor: Some(String::new()),
            action: Some(String::new()),
            ..Default::default()
        })
        .await
        .len(),
        6
    );
}

fn invalid<T: std::fmt::Debug>(result: Result<T, CoreError>) -> String {
    match result {
        Err(CoreError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn invalid_filters_and_entries_are_refused(db: Db) {
    let page = PageRequest::default();
    let message = invalid(
        store::query(
            &db,
            &AuditFilter {
                from: Some("2026-13-01T00:00:00Z".into()),
                ..Default::default()
            },
            &page,
        )
        .await,
    );
    assert!(
        message.starts_with("from: \"2026-13-01T00:00:00Z\" is not an RFC 3339 timestamp"),
        "{message}"
    );
    let message = invalid(
        store::query(
            &db,
            &AuditFilter {
                to: Some("yesterday".into()),
                ..Default::default()
            },
            &page,
        )
        .await,
    );
    assert!(message.starts_with("to: \"yesterday\""), "{message}");
    let message = invalid(
        store::query(
            &db,
            &AuditFilter {
                from: Some("2026-11-25T10:00:00Z".into()),
                to: Some("2026-11-25T11:00:00+02:00".into()),
                ..Default::default()
            },
            &page,
        )
        .await,
    );
    assert_eq!(
        message,
        "time range: from (2026-11-25T10:00:00.000Z) must be earlier than to (2026-11-25T09:00:00.000Z)"
    );
    for action in ["road*map", "*", "roadmap.**"] {
        invalid(
            store::query(
                &db,
                &AuditFilter {
                    action: Some(action.into()),
                    ..Default::default()
                },
                &page,
            )
            .await,
        );
    }
    invalid(
        store::query(
            &db,
            &AuditFilter::default(),
            &PageRequest {
                before_id: Some(0),
                limit: 10,
            },
        )
        .await,
    );
    let message =
        invalid(store::append_standalone(&db, &entry("alice", "Roadmap Import", "roadmap")).await);
    assert!(message.contains("dotted lower-case"), "{message}");
    invalid(store::append_standalone(&db, &entry("", "auth.sign_in", "user:x")).await);
    assert!(all_newest_first(&db).await.is_empty());
}

async fn keyset_pagination(db: Db) {
    append_many(&db, 250).await;
    let mut seen = HashSet::new();
    let mut sizes = Vec::new();
    let mut page = PageRequest::first(100);
    let mut previous_id = i64::MAX;
    loop {
        let result = store::query(&db, &AuditFilter::default(), &page)
            .await
            .unwrap();
        sizes.push(result.records.len());
        for r in &result.records {
            assert!(r.id < previous_id, "newest first, no repeats");
            previous_id = r.id;
            assert!(seen.insert(r.id));
        }
        match result.next_before_id {
            Some(next) => {
                assert_eq!(Some(next), result.records.last().map(|r| r.id));
                page.before_id = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(sizes, vec![100, 100, 50]);
    assert_eq!(seen, (1..=250).collect::<HashSet<i64>>());

    // The limit is clamped to 1..=200.
    let page = |limit| PageRequest {
        before_id: None,
        limit,
    };
    let all = AuditFilter::default();
    let big = store::query(&db, &all, &page(10_000)).await.unwrap();
    assert_eq!((big.records.len(), big.next_before_id), (200, Some(51)));
    let small = store::query(&db, &all, &page(0)).await.unwrap();
    assert_eq!((small.records.len(), small.next_before_id), (1, Some(250)));
    // Exactly a full last page: no next page.
    let exact = store::query(
        &db,
        &all,
        &PageRequest {
            before_id: Some(101),
            limit: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!((exact.records.len(), exact.next_before_id), (100, None));

    // Exports page through everything matching.
    let lines = export::export_all(&db, &all, ExportFormat::JsonLines)
        .await
        .unwrap();
    let lines = String::from_utf8(lines).unwrap();
    assert_eq!(lines.lines().count(), 250);
    let csv = export::export_all(
        &db,
        &AuditFilter {
            actor: Some("user7".into()),
            ..Default::default()
        },
        ExportFormat::Csv,
    )
    .await
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(store::verify(&db).await.unwrap().is_ok());
}

async fn csv_and_json_lines_exports(db: Db) {
    let mut tricky = entry("Smith, \"Bob\"", "roadmap.module.update", "module:waf");
    tricky.after = Some(json!({"note": "line one\nline \"two\", three"}));
    tricky.role = None;
    store::append_standalone(&db, &entry("alice", "auth.sign_in", "user:alice"))
        .await
        .unwrap();
    store::append_standalone(&db, &tricky).await.unwrap();
    let records = all_newest_first(&db).await;

    let csv = export::to_csv(&records).unwrap();
    assert!(csv.starts_with(
        "id,at,actor,role,action,target,before,after,request_id,prev_hash,hash,key_id,mac\n"
    ));
    assert!(csv.contains(r#","Smith, ""Bob""","#), "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        &csv::StringRecord::from(CSV_HEADER.to_vec())
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let newest = &rows[0];
    assert_eq!(&newest[0], "2");
    assert_eq!(&newest[2], "Smith, \"Bob\"");
    assert_eq!(&newest[3], "", "no role: an empty cell");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&newest[7]).unwrap(),
        records[0].after.clone().unwrap()
    );
    assert_eq!(&newest[10], records[0].hash);
    assert_eq!(&newest[11], "test");
    assert_eq!(Some(&newest[12]), records[0].mac.as_deref());

    let lines = export::to_json_lines(&records).unwrap();
    assert_eq!(lines.lines().count(), 2);
    let parsed: Vec<AuditRecord> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, records);
    // Parsed back, every record still carries a valid hash.
    for r in &parsed {
        assert_eq!(record_hash(r).unwrap(), r.hash);
    }
    let exported = export::export_all(&db, &AuditFilter::default(), ExportFormat::JsonLines)
        .await
        .unwrap();
    assert_eq!(String::from_utf8(exported).unwrap(), lines);
    let exported = export::export_all(&db, &AuditFilter::default(), ExportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(String::from_utf8(exported).unwrap(), csv);
}

async fn concurrent_appends_keep_one_chain(db: Db) {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let e = entry(&format!("worker{i}"), "roadmap.module.update", "module:waf");
                let mut last_error = None;
                for attempt in 0..5 {
                    let result = async {
                        let mut tx = AuditedTx::begin(&db).await?;
                        tx.record(&e).await?;
                        tx.commit().await
                    }
                    .await;
                    match result {
                        Ok(record) => return (record, attempt),
                        Err(err) => last_error = Some(err),
                    }
                    tokio::time::sleep(Duration::from_millis(10 * (attempt + 1))).await;
                }
                panic!("worker {i} failed 5 times: {last_error:?}");
            })
        })
        .collect();
    let mut retries = 0;
    let mut ids = HashSet::new();
    for task in tasks {
        let (record, attempts) = task.await.unwrap();
        retries += attempts;
        assert!(ids.insert(record.id));
    }
    assert_eq!(ids, (1..=20).collect::<HashSet<i64>>());
    eprintln!(
        "{:?}: 20 concurrent appends needed {retries} retries",
        db.backend()
    );
    match store::verify(&db).await.unwrap() {
        VerifyReport::Ok { records: 20, .. } => {}
        other => panic!("{other:?} (after {retries} retries)"),
    }
}

/// The guard's promise, attacked the way a forgetful caller would: a change
/// written and committed without a record is refused and rolled back, as is
/// a "maybe" commit that recorded nothing; a change with its record commits
/// both.
async fn a_change_never_commits_without_its_record(db: Db) {
    let meta = |key: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT value FROM roadmap_meta WHERE key = $1")
                .bind(key)
                .fetch_optional(db.pool())
                .await
                .unwrap()
        }
    };
    let write = |key: &'static str| {
        sqlx::query("INSERT INTO roadmap_meta (key, value) VALUES ($1, 'changed')").bind(key)
    };

    let mut tx = AuditedTx::begin(&db).await.unwrap();
    write("unrecorded").execute(&mut *tx).await.unwrap();
    let refused = tx.commit().await.unwrap_err();
    assert!(matches!(refused, CoreError::Unaudited(_)), "{refused:?}");
    assert_eq!(meta("unrecorded").await, None, "the change was rolled back");

    let mut tx = AuditedTx::begin_serialized(&db).await.unwrap();
    write("maybe").execute(&mut *tx).await.unwrap();
    assert_eq!(tx.commit_if_recorded().await.unwrap(), None);
    assert_eq!(
        meta("maybe").await,
        None,
        "nothing recorded, nothing committed"
    );
    assert!(all_newest_first(&db).await.is_empty());

    let mut tx = AuditedTx::begin(&db).await.unwrap();
    write("recorded").execute(&mut *tx).await.unwrap();
    let record = tx
        .commit_with(&entry("alice", "roadmap.import", "roadmap"))
        .await
        .unwrap();
    assert_eq!(meta("recorded").await.as_deref(), Some("changed"));
    assert_eq!(all_newest_first(&db).await, vec![record]);
    assert!(store::verify(&db).await.unwrap().is_ok());
}

gantry_core::on_both_backends!(
    a_change_never_commits_without_its_record,
    appended_records_form_a_verified_chain,
    rolled_back_transaction_leaves_no_record,
    database_refuses_updates_and_deletes,
    edited_actor_is_detected,
    edited_json_is_detected,
    edit_with_recomputed_hash_fails_its_mac,
    edit_recomputed_with_a_wrong_key_or_plain_sha256_is_named,
    cut_off_newest_records_are_detected,
    rotated_keys_verify_with_the_keyring,
    legacy_records_before_the_key_still_verify,
    unwritable_checkpoint_never_fails_an_append,
    deleted_records_are_detected,
    query_filters,
    invalid_filters_and_entries_are_refused,
    keyset_pagination,
    csv_and_json_lines_exports,
    concurrent_appends_keep_one_chain,
);
