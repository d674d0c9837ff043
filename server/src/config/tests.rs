use std::path::PathBuf;

use super::*;

const DEV_AUTH: &str = "[auth.dev]\nenabled = true\nusers = [{ subject = \"a\", name = \"A\", groups = [\"gantry-admins\"] }]\n";

#[test]
fn defaults_are_valid() {
    let config = Config::from_toml(DEV_AUTH).expect("defaults");
    assert_eq!(config.server.bind.to_string(), "127.0.0.1:3000");
    assert_eq!(
        config.database.url.expose_secret(),
        "sqlite://data/gantry.db"
    );
    assert_eq!(config.roadmap.environments, ["dev", "prod"]);
}

#[test]
fn unknown_key_is_named() {
    let err = Config::from_toml("[server]\nbind = \"127.0.0.1:1\"\nport = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("port"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
    let err = Config::from_toml("[nonsense]\na = 1\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("nonsense"), "{err}");
}

#[test]
fn bad_values_name_their_key() {
    let err = Config::from_toml("[database]\nurl = \"mysql://u:pw@h/db\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: database.url:"), "{err}");
    assert!(!err.contains("pw@"), "password leaked: {err}");

    let err = Config::from_toml("[roadmap]\nenvironments = [\"dev\", \"Prod\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("roadmap.environments"), "{err}");

    let err = Config::from_toml("[server]\nbind = \"nowhere\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("server.bind"), "{err}");

    let err = Config::from_toml("[roadmap]\nseed_file = \"/does/not/exist.md\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("roadmap.seed_file"), "{err}");

    let err = Config::from_toml("[health]\ntransition_retention_days = 0\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("config: health.transition_retention_days:"),
        "{err}"
    );

    let err = Config::from_toml(&format!("{DEV_AUTH}[cost.fargate]\nvcpu_hour_usd = 0\n"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: cost.fargate:"), "{err}");
    assert!(err.contains("vcpu_hour_usd"), "{err}");
}

#[test]
fn dev_sign_in_only_on_loopback_and_some_sign_in_required() {
    let err = Config::from_toml(&format!("[server]\nbind = \"0.0.0.0:3000\"\n{DEV_AUTH}"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: auth.dev.enabled:"), "{err}");
    assert!(err.contains("loopback"), "{err}");
    let err = Config::from_toml("")
        .unwrap()
        .require_sign_in()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: auth.oidc:"), "{err}");
    let err = Config::from_toml(
        "[auth.oidc]\nissuer_url = \"http://idp.example.com\"\nclient_id = \"g\"\nclient_secret = \"s\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("config: auth.oidc.issuer_url:"), "{err}");
}

const KEY: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn short_audit_keys_are_refused_in_one_line_without_the_key() {
    let err = Config::from_toml("[audit]\nkey = \"too-short-secret\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: audit.key:"), "{err}");
    assert!(err.contains("at least 32"), "{err}");
    assert!(!err.contains("too-short-secret"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let err = Config::from_toml(&format!(
        "[audit]\nkey = \"{KEY}\"\nprevious_keys = {{ old = \"short-old-key\" }}\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("config: audit.previous_keys:"), "{err}");
    assert!(!err.contains("short-old-key"), "{err}");

    let err = Config::from_toml(&format!("[audit]\nkey = \"{KEY}\"\nkey_id = \"bad id\"\n"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: audit.key_id:"), "{err}");

    let err = Config::from_toml(&format!(
        "[audit]\nkey = \"{KEY}\"\nkey_id = \"k1\"\nprevious_keys = {{ k1 = \"{KEY}\" }}\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("given twice"), "{err}");

    let err = Config::from_toml("[audit]\ncheckpoint_file = \"/tmp/x.jsonl\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config: audit.checkpoint_file:"), "{err}");
}

#[test]
fn audit_keys_never_appear_in_debug_output() {
    let old = "an-older-secret-key-of-32-bytes-or-more";
    let config = Config::from_toml(&format!(
        "[audit]\nkey = \"{KEY}\"\nkey_id = \"k2\"\nprevious_keys = {{ k1 = \"{old}\" }}\n"
    ))
    .unwrap();
    let settings = config.audit_settings().unwrap();
    for text in [
        format!("{config:?}"),
        format!("{settings:?}"),
        format!("{config:#?}"),
    ] {
        assert!(!text.contains(KEY), "{text}");
        assert!(!text.contains(old), "{text}");
    }
    let ring = settings.keyring.unwrap();
    assert_eq!(ring.current().id(), "k2");
    assert!(ring.get("k1").is_some());
    // Beside the default SQLite database.
    assert_eq!(
        settings.checkpoint_file.unwrap(),
        PathBuf::from("data/gantry.audit-checkpoint.jsonl")
    );
}

#[test]
fn the_checkpoint_file_defaults_by_backend_and_can_be_turned_off() {
    let pg = Config::from_toml(&format!(
        "[database]\nurl = \"postgres://u@h/db\"\n[audit]\nkey = \"{KEY}\"\n"
    ))
    .unwrap();
    assert_eq!(pg.audit_settings().unwrap().checkpoint_file, None);
    let off = Config::from_toml(&format!(
        "[audit]\nkey = \"{KEY}\"\ncheckpoint_file = \"\"\n"
    ))
    .unwrap();
    assert_eq!(off.audit_settings().unwrap().checkpoint_file, None);
    let none = Config::from_toml("").unwrap().audit_settings().unwrap();
    assert!(none.keyring.is_none() && none.checkpoint_file.is_none());
}

#[test]
fn dev_sign_in_only_behind_a_loopback_http_public_url() {
    let with = |public_url: &str| {
        Config::from_toml(&format!(
            "[server]\npublic_url = \"{public_url}\"\n{DEV_AUTH}"
        ))
    };
    for ok in [
        "http://127.0.0.1:3000",
        "http://127.9.8.7:3000",
        "http://localhost:3000",
        "HTTP://LocalHost:3000",
        "http://[::1]:3000",
    ] {
        assert!(with(ok).is_ok(), "{ok}: {:?}", with(ok).err());
    }
    for (refused, why) in [
        ("http://gantry.example.com", "not a loopback URL"),
        ("http://10.0.0.5:3000", "not a loopback URL"),
        ("http://127.0.0.1.nip.io:3000", "not a loopback URL"),
        ("http://localhost.evil.example", "not a loopback URL"),
        (
            "https://gantry.example.com",
            "is https (a proxied deployment)",
        ),
        ("https://127.0.0.1:3000", "is https (a proxied deployment)"),
        (
            "HTTPS://Gantry.Example.com",
            "is https (a proxied deployment)",
        ),
    ] {
        let err = with(refused).unwrap_err().to_string();
        assert!(err.starts_with("config: auth.dev.enabled:"), "{err}");
        assert!(err.contains(why), "{refused}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Beside OpenID Connect on loopback: still allowed.
    let both = Config::from_toml(&format!(
        "{DEV_AUTH}[auth.oidc]\nissuer_url = \"http://127.0.0.1:9400\"\nclient_id = \"g\"\nclient_secret = \"s\"\n"
    ));
    assert!(both.is_ok(), "{:?}", both.err());
    // Off: any public URL.
    assert!(Config::from_toml("[server]\npublic_url = \"https://gantry.example.com\"\n").is_ok());
}

#[test]
fn public_url_is_case_insensitive() {
    let config = Config::from_toml("[server]\npublic_url = \"HTTPS://Gantry.Example.com\"\n")
        .expect("config");
    assert!(config.secure_cookies());
    assert_eq!(config.public_origin(), "https://gantry.example.com");
}

#[test]
fn the_example_file_is_complete_and_valid() {
    let text = include_str!("../../../config/gantry.example.toml");
    let config = Config::from_toml(text).expect("example config parses");
    assert_eq!(config.log.format, LogFormat::Text);
}

#[test]
fn webhooks_and_secrets_keys_are_checked_without_showing_them() {
    let err = Config::from_toml(&format!(
        "{DEV_AUTH}\n[notifications]\nwebhooks = {{ prod = \"ftp://hooks.example.test/SECRET-123\" }}\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("the webhook of prod is not an http(s) URL"),
        "{err}"
    );
    assert!(!err.contains("SECRET-123"), "{err}");
    let err = Config::from_toml(&format!(
        "{DEV_AUTH}\n[jobs]\nsecrets_key = \"SECRET-but-short\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("jobs.secrets_key"), "{err}");
    assert!(!err.contains("SECRET-but-short"), "{err}");
    let ok = Config::from_toml(&format!(
        "{DEV_AUTH}\n[notifications]\nwebhooks = {{ prod = \"https://hooks.example.test/services/T0/B0/SECRET\" }}\n"
    ))
    .expect("a valid webhook");
    assert!(
        !format!("{:?}", ok.notifications).contains("SECRET"),
        "Debug hides the URL"
    );
}
