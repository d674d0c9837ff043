use serde_json::json;

use super::*;

fn record() -> AuditRecord {
    AuditRecord {
        id: 7,
        at: "2026-11-25T09:30:00.123Z".into(),
        actor: "alice".into(),
        role: Some("admin".into()),
        action: "roadmap.module.update".into(),
        target: "module:waf".into(),
        before: Some(json!({"status": "planned", "env": {"prod": 1, "dev": 2}})),
        after: Some(json!({"status": "deployed", "env": {"prod": 1, "dev": 3}})),
        request_id: Some("req-1".into()),
        prev_hash: "ab".repeat(32),
        hash: String::new(),
        key_id: None,
        mac: None,
    }
}

#[test]
fn genesis_is_64_zeros() {
    assert_eq!(GENESIS_PREV_HASH.len(), 64);
    assert!(GENESIS_PREV_HASH.bytes().all(|b| b == b'0'));
}

#[test]
fn hash_is_lower_case_hex_sha256() {
    let hash = record_hash(&record()).unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[test]
fn encoding_is_pinned() {
    // Changing this text breaks every stored chain: add a new format instead.
    let r = AuditRecord {
        id: 1,
        at: "2026-01-02T03:04:05.006Z".into(),
        actor: "a\"b".into(),
        role: None,
        action: "auth.sign_in".into(),
        target: "user:a".into(),
        before: None,
        after: Some(json!({"z": [1, {"y": null, "x": 1.5}], "a": "é"})),
        request_id: None,
        prev_hash: GENESIS_PREV_HASH.into(),
        hash: "ignored".into(),
        key_id: None,
        mac: None,
    };
    let text = String::from_utf8(canonical_bytes(&r).unwrap()).unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"format":"gantry.audit.v1","id":1,"at":"2026-01-02T03:04:05.006Z","actor":"a\"b","role":null,"action":"auth.sign_in","target":"user:a","before":null,"after":{{"a":"é","z":[1,{{"x":1.5,"y":null}}]}},"request_id":null,"prev_hash":"{GENESIS_PREV_HASH}"}}"#
        )
    );
    // sha256 of that text, computed independently (Python's hashlib).
    assert_eq!(
        record_hash(&r).unwrap(),
        "587aa5b328396bd5c30829ab2ee4d12f472876d3647143f9e300ab7c847cf451"
    );
}

#[test]
fn keyed_encoding_is_pinned() {
    let key = AuditKey::new("k1", secrecy::SecretString::from("k".repeat(32))).unwrap();
    let r = AuditRecord {
        id: 1,
        at: "2026-01-02T03:04:05.006Z".into(),
        actor: "a\"b".into(),
        role: None,
        action: "auth.sign_in".into(),
        target: "user:a".into(),
        before: None,
        after: Some(json!({"z": [1, {"y": null, "x": 1.5}], "a": "é"})),
        request_id: None,
        prev_hash: GENESIS_PREV_HASH.into(),
        hash: "ignored".into(),
        key_id: Some("k1".into()),
        mac: Some("ignored".into()),
    };
    let text = String::from_utf8(canonical_bytes(&r).unwrap()).unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"format":"gantry.audit.v2","id":1,"at":"2026-01-02T03:04:05.006Z","actor":"a\"b","role":null,"action":"auth.sign_in","target":"user:a","before":null,"after":{{"a":"é","z":[1,{{"x":1.5,"y":null}}]}},"request_id":null,"key_id":"k1","prev_hash":"{GENESIS_PREV_HASH}"}}"#
        )
    );
    // Both computed independently (Python's hashlib and hmac).
    assert_eq!(
        record_hash(&r).unwrap(),
        "fbb9a4c768a53ef6bb76cf7177ce4a8b6e71c3f8622b6a18d49312e8547615ea"
    );
    assert_eq!(
        record_mac(&key, &r).unwrap(),
        "be74bd9f032d7978172ce42503ae1ab84af5966b0fa807cf5aea69d4cf00a873"
    );
    // The MAC covers the key's name: the same secret under another name
    // gives another MAC, and a key that is not the record's is refused.
    let renamed = AuditKey::new("k2", secrecy::SecretString::from("k".repeat(32))).unwrap();
    assert!(record_mac(&renamed, &r).is_err());
    let mut r2 = r.clone();
    r2.key_id = Some("k2".into());
    assert_ne!(
        record_mac(&renamed, &r2).unwrap(),
        record_mac(&key, &r).unwrap()
    );
    assert_eq!(record_link(&r), "ignored");
}

#[test]
fn json_key_order_does_not_change_the_hash() {
    let a = record();
    let mut b = record();
    b.before = Some(
        serde_json::from_str(r#"{"env": {"dev": 2, "prod": 1}, "status": "planned"}"#).unwrap(),
    );
    b.after = Some(
        serde_json::from_str(r#"{"env": {"dev": 3, "prod": 1}, "status": "deployed"}"#).unwrap(),
    );
    assert_eq!(record_hash(&a).unwrap(), record_hash(&b).unwrap());
    // The stored hash is not part of the input.
    b.hash = "something else".into();
    assert_eq!(record_hash(&a).unwrap(), record_hash(&b).unwrap());
}

#[test]
fn any_changed_field_changes_the_hash() {
    let base = record_hash(&record()).unwrap();
    type Edit = Box<dyn Fn(&mut AuditRecord)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("id", Box::new(|r| r.id = 8)),
        ("at", Box::new(|r| r.at = "2026-11-25T09:30:00.124Z".into())),
        ("actor", Box::new(|r| r.actor = "mallory".into())),
        ("role none", Box::new(|r| r.role = None)),
        ("role", Box::new(|r| r.role = Some("viewer".into()))),
        ("action", Box::new(|r| r.action = "roadmap.import".into())),
        ("target", Box::new(|r| r.target = "module:vpc".into())),
        ("before none", Box::new(|r| r.before = None)),
        (
            "before nested",
            Box::new(|r| {
                r.before = Some(json!({"status": "planned", "env": {"prod": 1, "dev": 9}}))
            }),
        ),
        ("after", Box::new(|r| r.after = Some(json!("deployed")))),
        ("request_id", Box::new(|r| r.request_id = None)),
        ("prev_hash", Box::new(|r| r.prev_hash = "cd".repeat(32))),
        // Moving text between adjacent fields must not collide.
        (
            "actor/role boundary",
            Box::new(|r| {
                r.actor = "aliceadmin".into();
                r.role = Some(String::new());
            }),
        ),
    ];
    for (name, edit) in edits {
        let mut r = record();
        edit(&mut r);
        assert_ne!(record_hash(&r).unwrap(), base, "editing {name}");
    }
}

#[test]
fn json_numbers_and_strings_survive_a_text_round_trip() {
    let mut r = record();
    r.after = Some(json!({"f": 0.1, "big": u64::MAX, "neg": -3, "s": "line\nbreak \u{1}"}));
    let text = serde_json::to_string(&r.after).unwrap();
    let mut back = r.clone();
    back.after = serde_json::from_str(&text).unwrap();
    assert_eq!(record_hash(&r).unwrap(), record_hash(&back).unwrap());
}
