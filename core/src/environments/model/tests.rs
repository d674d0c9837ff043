use super::*;
use crate::error::CoreError;

/// A valid production environment.
fn prod() -> EnvironmentInput {
    EnvironmentInput {
        name: "prod".into(),
        production: true,
        region: "eu-west-2".into(),
        account_id: "123456789012".into(),
        role_arn: Some("arn:aws:iam::123456789012:role/gantry-deployer".into()),
        cluster: "backend-booking-prod".into(),
        services: vec![ServiceInput {
            name: "web".into(),
            container: "django".into(),
            health_url: Some("https://booking.example.com/health/".into()),
        }],
        database: Some("backend-booking-prod".into()),
        ssm_prefix: "/backend-booking/prod/".into(),
        cost_tag_key: Some("Environment".into()),
        cost_tag_value: Some("prod".into()),
        monthly_budget_usd: Some(1250.5),
        approvals_required: Some(2),
        approver_groups: vec!["platform-leads".into()],
        approval_distinct_groups: None,
        weekly_freezes: Vec::new(),
        freeze_time_zone: None,
        freeze_mode: None,
        approval_expiry_hours: Some(48),
        approval_reason_required: Some(true),
        freeze_windows: vec![FreezeWindowInput {
            starts_at: "2026-12-20T00:00:00Z".into(),
            ends_at: "2027-01-04T00:00:00+01:00".into(),
            reason: "Holidays".into(),
        }],
        ttl_hours: None,
    }
}

fn preview() -> EnvironmentInput {
    EnvironmentInput {
        name: "preview-42".into(),
        production: false,
        region: "us-east-1".into(),
        account_id: "000000000042".into(),
        cluster: "preview".into(),
        ssm_prefix: "/backend-booking/preview-42/".into(),
        ttl_hours: Some(72),
        ..EnvironmentInput::default()
    }
}

#[track_caller]
fn refused(input: &EnvironmentInput) -> String {
    match input.validate() {
        Err(CoreError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn regions() {
    for ok in [
        "us-east-1",
        "eu-west-2",
        "ap-southeast-1",
        "us-gov-west-1",
        "cn-north-1",
        "il-central-1",
    ] {
        assert_eq!(AwsRegion::parse(ok).unwrap().as_str(), ok);
    }
    for bad in [
        "",
        "us-east",
        "US-east-1",
        "us-east-12",
        "use-east-1",
        "us--1",
        "us-east-1a",
        "us-iso-east-1-x",
        " us-east-1",
        "us_east_1",
    ] {
        assert_eq!(
            AwsRegion::parse(bad).unwrap_err(),
            format!("region {bad:?}: expected something like us-east-1"),
        );
    }
}

#[test]
fn account_ids() {
    assert_eq!(
        AwsAccountId::parse("012345678901").unwrap().as_str(),
        "012345678901"
    );
    assert_eq!(
        AwsAccountId::parse("12345678901").unwrap_err(),
        "account id \"12345678901\" must be exactly 12 digits (got 11 digits)"
    );
    assert_eq!(
        AwsAccountId::parse("1234567890123").unwrap_err(),
        "account id \"1234567890123\" must be exactly 12 digits (got 13 digits)"
    );
    assert_eq!(
        AwsAccountId::parse("12345678901a").unwrap_err(),
        "account id \"12345678901a\" must be exactly 12 digits (got 12 characters, not all digits)"
    );
    assert!(AwsAccountId::parse("").is_err());
    assert!(AwsAccountId::parse("１２３４５６７８９０１２").is_err());
}

#[test]
fn role_arns() {
    for ok in [
        "arn:aws:iam::123456789012:role/gantry-deployer",
        "arn:aws-us-gov:iam::123456789012:role/gantry",
        "arn:aws-cn:iam::123456789012:role/platform/ci/gantry+deploy=x,y.z@w_v-u",
    ] {
        assert_eq!(RoleArn::parse(ok).unwrap().as_str(), ok);
    }
    let arn = RoleArn::parse("arn:aws-cn:iam::000000000001:role/a/b").unwrap();
    assert_eq!(arn.account(), "000000000001");
    assert_eq!(arn.partition(), "aws-cn");
    let cases = [
        (
            "gantry-deployer",
            "expected arn:aws:iam::<12-digit account>:role/<name>",
        ),
        ("arm:aws:iam::123456789012:role/x", "must start with arn:"),
        (
            "arn:aws-eu:iam::123456789012:role/x",
            "unknown partition \"aws-eu\" (use aws, aws-us-gov or aws-cn)",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/x/session",
            "service is \"sts\", not iam",
        ),
        (
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "IAM ARNs have no region (found \"us-east-1\")",
        ),
        (
            "arn:aws:iam::12345678901:role/x",
            "account \"12345678901\" must be exactly 12 digits (got 11 digits)",
        ),
        (
            "arn:aws:iam::123456789012:user/bob",
            "resource \"user/bob\" is not a role (expected role/<name>)",
        ),
        (
            "arn:aws:iam::123456789012:role/",
            "role name \"\" must be 1-64",
        ),
        (
            "arn:aws:iam::123456789012:role/has space",
            "role name \"has space\" must be 1-64",
        ),
        (
            "arn:aws:iam::123456789012:role/a//b",
            "role path segment \"\"",
        ),
    ];
    for (bad, problem) in cases {
        let err = RoleArn::parse(bad).unwrap_err();
        assert!(
            err.starts_with(&format!("role ARN {bad:?}: {problem}")),
            "{bad}: {err}"
        );
    }
    let long_name = format!("arn:aws:iam::123456789012:role/{}", "n".repeat(65));
    assert!(RoleArn::parse(&long_name).unwrap_err().contains("1-64"));
    let long_path = format!(
        "arn:aws:iam::123456789012:role/{}/name",
        ["p"; 300].join("/")
    );
    assert!(RoleArn::parse(&long_path).unwrap_err().contains("512"));
}

#[test]
fn ssm_prefixes() {
    let prefix = SsmPrefix::parse("/backend-booking/prod/").unwrap();
    assert_eq!(
        prefix.parameter("DATABASE_URL"),
        "/backend-booking/prod/DATABASE_URL"
    );
    assert!(SsmPrefix::parse("/a.b_c-D/9/").is_ok());
    let cases = [
        ("backend-booking/prod/", "must start with '/'"),
        ("/backend-booking/prod", "must end with '/'"),
        ("", "must start with '/'"),
        ("/", "must name at least one level"),
        ("/a//b/", "has an empty level (\"//\")"),
        ("/aws/x/", "must not start with aws or ssm"),
        ("/SSM-params/", "must not start with aws or ssm"),
    ];
    for (bad, problem) in cases {
        let err = SsmPrefix::parse(bad).unwrap_err();
        assert!(
            err.starts_with(&format!("SSM prefix {bad:?} {problem}")),
            "{bad}: {err}"
        );
    }
    assert_eq!(
        SsmPrefix::parse("/my app/").unwrap_err(),
        "SSM prefix \"/my app/\" contains ' ': use letters, digits and _ . - /"
    );
    let deep = format!("/{}", "l/".repeat(15));
    assert!(SsmPrefix::parse(&deep).unwrap_err().contains("15 levels"));
    let long = format!("/{}/", "x".repeat(900));
    assert!(SsmPrefix::parse(&long)
        .unwrap_err()
        .contains("longer than 900"));
}

#[test]
fn health_urls() {
    assert_eq!(
        HealthUrl::parse("https://booking.example.com/health/")
            .unwrap()
            .as_str(),
        "https://booking.example.com/health/"
    );
    assert_eq!(
        HealthUrl::parse("http://10.0.0.5:8000").unwrap().as_str(),
        "http://10.0.0.5:8000/"
    );
    assert!(HealthUrl::parse("/health/")
        .unwrap_err()
        .starts_with("health URL \"/health/\" is not a URL"));
    assert_eq!(
        HealthUrl::parse("ftp://x.example/health").unwrap_err(),
        "health URL \"ftp://x.example/health\" must use http or https, not ftp"
    );
    assert_eq!(
        HealthUrl::parse("https://user:pw@x.example/").unwrap_err(),
        "health URL \"https://user:pw@x.example/\" must not contain a user name or password"
    );
}

#[test]
fn ecs_names() {
    assert!(parse_ecs_name("ECS cluster name", "backend_booking-Prod-1").is_ok());
    assert!(parse_ecs_name("ECS cluster name", &"c".repeat(255)).is_ok());
    for bad in ["", "has space", "dot.ted", &"c".repeat(256)] {
        assert_eq!(
            parse_ecs_name("ECS cluster name", bad).unwrap_err(),
            format!("ECS cluster name {bad:?}: use 1-255 letters, digits, '-' or '_'")
        );
    }
}

#[test]
fn cost_tags() {
    let tag = CostTag::parse("Environment", "prod").unwrap();
    assert_eq!(
        (tag.key.as_str(), tag.value.as_str()),
        ("Environment", "prod")
    );
    assert!(CostTag::parse("cost-center:team a", "a/b=c+d@e.f_g").is_ok());
    assert!(CostTag::parse("", "x").unwrap_err().contains("1-128"));
    assert!(CostTag::parse(&"k".repeat(129), "x")
        .unwrap_err()
        .contains("1-128"));
    assert!(CostTag::parse("k", "").unwrap_err().contains("1-256"));
    assert!(CostTag::parse("k", &"v".repeat(257))
        .unwrap_err()
        .contains("1-256"));
    assert!(CostTag::parse("aws:createdBy", "x")
        .unwrap_err()
        .contains("the aws: prefix is reserved"));
    assert!(CostTag::parse("env!", "x")
        .unwrap_err()
        .contains("contains '!'"));
    assert!(CostTag::parse("env", "x;y")
        .unwrap_err()
        .contains("contains ';'"));
}

#[test]
fn a_full_input_validates_and_round_trips() {
    let env = prod().validate().unwrap();
    assert_eq!(env.name.as_str(), "prod");
    assert_eq!(env.monthly_budget_cents, Some(125_050));
    assert_eq!(env.approval.required_approvals, 2);
    assert_eq!(env.approval.expiry_hours, 48);
    assert_eq!(
        env.approval.freeze_windows[0].ends_at.to_rfc3339(),
        "2027-01-03T23:00:00+00:00"
    );
    assert_eq!(env.created_at, env.updated_at);
    assert_eq!(env.created_at.timestamp_subsec_nanos() % 1_000_000, 0);
    assert!(!env.is_preview());
    assert_eq!(env.expires_at(), None);
    assert_eq!(env.service("web").unwrap().container, "django");

    let again = env.to_input().validate().unwrap();
    assert!(env.same_settings(&again), "{env:?}\n{again:?}");
    let json = env.settings_json();
    assert!(json.get("created_at").is_none());
    assert_eq!(json["ssm_prefix"], "/backend-booking/prod/");
}

#[test]
fn defaults_follow_production() {
    let minimal = EnvironmentInput {
        name: "dev".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        cluster: "dev".into(),
        ssm_prefix: "/app/dev/".into(),
        role_arn: Some("  ".into()),
        cost_tag_key: Some(String::new()),
        ..EnvironmentInput::default()
    };
    let dev = minimal.validate().unwrap();
    assert_eq!(dev.role_arn, None);
    assert_eq!(dev.cost_tag, None);
    assert_eq!(dev.approval.required_approvals, 0);
    assert!(!dev.approval.reason_required);
    assert_eq!(dev.approval.expiry_hours, DEFAULT_APPROVAL_EXPIRY_HOURS);
    assert!(!dev.approval.needs_approval());

    let prod = EnvironmentInput {
        name: "prod".into(),
        production: true,
        ..minimal
    }
    .validate()
    .unwrap();
    assert_eq!(prod.approval.required_approvals, 1);
    assert!(prod.approval.reason_required);
}

#[test]
fn every_field_is_checked_and_named() {
    let cases: Vec<(EnvironmentInput, &str)> = vec![
        (
            EnvironmentInput { name: "Prod".into(), ..prod() },
            "environments.\"Prod\".name: invalid environment name \"Prod\"",
        ),
        (
            EnvironmentInput { name: " ".into(), ..prod() },
            "environments.(unnamed).name: invalid environment name",
        ),
        (
            EnvironmentInput { region: "eu-west".into(), ..prod() },
            "environments.prod.region: region \"eu-west\": expected something like us-east-1",
        ),
        (
            EnvironmentInput { account_id: "12345678901".into(), ..prod() },
            "environments.prod.account_id: account id \"12345678901\" must be exactly 12 digits (got 11 digits)",
        ),
        (
            EnvironmentInput { role_arn: Some("arn:aws:iam::123456789012:gantry".into()), ..prod() },
            "environments.prod.role_arn: role ARN \"arn:aws:iam::123456789012:gantry\": resource \"gantry\" is not a role",
        ),
        (
            EnvironmentInput { role_arn: Some("arn:aws:iam::210987654321:role/x".into()), ..prod() },
            "environments.prod.role_arn: the role is in account 210987654321, but account_id is 123456789012",
        ),
        (
            EnvironmentInput { cluster: "my cluster".into(), ..prod() },
            "environments.prod.cluster: ECS cluster name \"my cluster\": use 1-255",
        ),
        (
            EnvironmentInput { ssm_prefix: "backend-booking/prod/".into(), ..prod() },
            "environments.prod.ssm_prefix: SSM prefix \"backend-booking/prod/\" must start with '/'",
        ),
        (
            EnvironmentInput { cost_tag_value: None, ..prod() },
            "environments.prod.cost_tag_value: required when cost_tag_key is set",
        ),
        (
            EnvironmentInput { cost_tag_key: None, ..prod() },
            "environments.prod.cost_tag_key: required when cost_tag_value is set",
        ),
        (
            EnvironmentInput { cost_tag_key: Some("aws:env".into()), ..prod() },
            "environments.prod.cost_tag_key: cost tag key \"aws:env\": the aws: prefix is reserved",
        ),
        (
            EnvironmentInput { monthly_budget_usd: Some(-5.0), ..prod() },
            "environments.prod.monthly_budget_usd: must not be negative (got -5)",
        ),
        (
            EnvironmentInput { monthly_budget_usd: Some(10.005), ..prod() },
            "environments.prod.monthly_budget_usd: 10.005: at most 2 decimal places",
        ),
        (
            EnvironmentInput { monthly_budget_usd: Some(f64::NAN), ..prod() },
            "environments.prod.monthly_budget_usd: NaN is not a number of dollars",
        ),
        (
            EnvironmentInput { monthly_budget_usd: Some(1e11), ..prod() },
            "environments.prod.monthly_budget_usd: 100000000000 is more than",
        ),
        (
            EnvironmentInput { approvals_required: Some(0), ..prod() },
            "environments.prod.approvals_required: a production environment needs at least 1 approval",
        ),
        (
            EnvironmentInput { approvals_required: Some(6), ..prod() },
            "environments.prod.approvals_required: must be between 0 and 5 (got 6)",
        ),
        (
            EnvironmentInput { approvals_required: Some(-1), production: false, ..prod() },
            "environments.prod.approvals_required: must be between 0 and 5 (got -1)",
        ),
        (
            EnvironmentInput { approver_groups: vec!["leads".into(), " leads ".into()], ..prod() },
            "environments.prod.approver_groups[1]: group \"leads\" is listed twice",
        ),
        (
            EnvironmentInput { approver_groups: vec![String::new()], ..prod() },
            "environments.prod.approver_groups[0]: a group name must not be blank",
        ),
        (
            EnvironmentInput { approver_groups: vec!["a\nb".into()], ..prod() },
            "environments.prod.approver_groups[0]: must not contain control characters",
        ),
        (
            EnvironmentInput { approver_groups: vec!["g".repeat(257)], ..prod() },
            "environments.prod.approver_groups[0]: at most 256 characters",
        ),
        (
            EnvironmentInput { approval_expiry_hours: Some(0), ..prod() },
            "environments.prod.approval_expiry_hours: must be between 1 and 720 hours (got 0)",
        ),
        (
            EnvironmentInput { approval_expiry_hours: Some(721), ..prod() },
            "environments.prod.approval_expiry_hours: must be between 1 and 720 hours (got 721)",
        ),
        (
            EnvironmentInput { ttl_hours: Some(24), ..prod() },
            "environments.prod.ttl_hours: a production environment never expires: remove ttl_hours",
        ),
        (
            EnvironmentInput { database: Some("1db".into()), ..prod() },
            "environments.prod.database: RDS instance identifier \"1db\": must start with a letter",
        ),
        (
            EnvironmentInput { database: Some("bb--prod".into()), ..prod() },
            "environments.prod.database: RDS instance identifier \"bb--prod\": must not end with a hyphen or contain two hyphens in a row",
        ),
        (
            EnvironmentInput { database: Some("bb_prod".into()), ..prod() },
            "environments.prod.database: RDS instance identifier \"bb_prod\": use letters, digits and hyphens only",
        ),
        (
            EnvironmentInput { ttl_hours: None, ..preview() },
            "environments.preview-42.ttl_hours: required for preview environments (names starting with preview-)",
        ),
        (
            EnvironmentInput { ttl_hours: Some(0), ..preview() },
            "environments.preview-42.ttl_hours: must be between 1 and 720 hours (got 0)",
        ),
        (
            EnvironmentInput { ttl_hours: Some(-3), ..preview() },
            "environments.preview-42.ttl_hours: must be between 1 and 720 hours (got -3)",
        ),
    ];
    for (input, expected) in cases {
        let message = refused(&input);
        assert!(
            message.starts_with(expected),
            "expected {expected:?}\n     got {message:?}"
        );
        assert!(!message.contains("; "), "one problem only: {message}");
    }
}

#[test]
fn services_are_checked() {
    let service = |name: &str, container: &str, url: Option<&str>| ServiceInput {
        name: name.into(),
        container: container.into(),
        health_url: url.map(Into::into),
    };
    let cases = [
        (
            vec![service("web app", "django", None)],
            "environments.prod.services[0].name: ECS service name \"web app\": use 1-255",
        ),
        (
            vec![service("web", "", None)],
            "environments.prod.services[0].container: container name \"\": use 1-255",
        ),
        (
            vec![service("web", "django", Some("localhost/health"))],
            "environments.prod.services[0].health_url: health URL \"localhost/health\" is not a URL",
        ),
        (
            vec![service("web", "django", None), service("web", "app", None)],
            "environments.prod.services[1].name: service \"web\" is listed twice",
        ),
    ];
    for (services, expected) in cases {
        let message = refused(&EnvironmentInput { services, ..prod() });
        assert!(
            message.starts_with(expected),
            "expected {expected:?}\n     got {message:?}"
        );
    }
    let ok = EnvironmentInput {
        services: vec![
            service(" web ", "django", Some("")),
            service("worker", "celery", None),
        ],
        ..prod()
    }
    .validate()
    .unwrap();
    assert_eq!(ok.services[0].name, "web");
    assert_eq!(ok.services[0].health_url, None);
    assert_eq!(ok.services.len(), 2);
}

#[test]
fn freeze_windows_are_checked() {
    let window = |starts_at: &str, ends_at: &str, reason: &str| FreezeWindowInput {
        starts_at: starts_at.into(),
        ends_at: ends_at.into(),
        reason: reason.into(),
    };
    let cases = [
        (
            window("2026-12-20T00:00:00Z", "2026-12-19T00:00:00Z", "Holidays"),
            "environments.prod.freeze_windows[0].ends_at: 2026-12-19T00:00:00Z must be after starts_at 2026-12-20T00:00:00Z",
        ),
        (
            window("2026-12-20T00:00:00Z", "2026-12-20T01:00:00+01:00", "Same instant"),
            "environments.prod.freeze_windows[0].ends_at: 2026-12-20T01:00:00+01:00 must be after starts_at",
        ),
        (
            window("next monday", "2026-12-19T00:00:00Z", "Holidays"),
            "environments.prod.freeze_windows[0].starts_at: \"next monday\" is not an RFC 3339 date-time",
        ),
        (
            window("2026-12-20T00:00:00Z", "2026-12-27T00:00:00", "No offset"),
            "environments.prod.freeze_windows[0].ends_at: \"2026-12-27T00:00:00\" is not an RFC 3339",
        ),
        (
            window("2026-12-20T00:00:00Z", "2026-12-27T00:00:00Z", "  "),
            "environments.prod.freeze_windows[0].reason: required",
        ),
    ];
    for (w, expected) in cases {
        let message = refused(&EnvironmentInput {
            freeze_windows: vec![w],
            ..prod()
        });
        assert!(
            message.starts_with(expected),
            "expected {expected:?}\n     got {message:?}"
        );
    }
    let env = prod().validate().unwrap();
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    assert!(env.approval.freeze_at(at("2026-12-19T23:59:59Z")).is_none());
    assert_eq!(
        env.approval
            .freeze_at(at("2026-12-20T00:00:00Z"))
            .unwrap()
            .reason,
        "Holidays"
    );
    assert!(env.approval.freeze_at(at("2027-01-03T23:00:00Z")).is_none());
}

#[test]
fn every_problem_is_reported_at_once() {
    let message = refused(&EnvironmentInput {
        region: "nowhere".into(),
        account_id: "1".into(),
        ssm_prefix: "prod".into(),
        ..prod()
    });
    let problems: Vec<&str> = message.split("; ").collect();
    assert_eq!(problems.len(), 3, "{message}");
    assert!(problems[0].starts_with("environments.prod.region:"));
    assert!(problems[1].starts_with("environments.prod.account_id:"));
    assert!(problems[2].starts_with("environments.prod.ssm_prefix:"));
}

#[test]
fn previews_expire_after_their_ttl() {
    let now = DateTime::parse_from_rfc3339("2026-11-25T09:00:00.123456Z")
        .unwrap()
        .with_timezone(&Utc);
    let env = preview().validate_at(now).unwrap();
    assert!(env.is_preview());
    assert_eq!(env.created_at.to_rfc3339(), "2026-11-25T09:00:00.123+00:00");
    assert_eq!(
        env.expires_at().unwrap().to_rfc3339(),
        "2026-11-28T09:00:00.123+00:00"
    );
    assert!(!env.is_expired(now + Duration::hours(71)));
    assert!(env.is_expired(now + Duration::hours(72)));
    // A non-preview, non-production environment may have a TTL too.
    let sandbox = EnvironmentInput {
        name: "sandbox".into(),
        ..preview()
    };
    assert_eq!(sandbox.validate().unwrap().ttl_hours, Some(72));
}

#[test]
fn input_deserializes_from_config_shapes() {
    let input: EnvironmentInput = serde_json::from_value(serde_json::json!({
        "name": "prod",
        "production": true,
        "region": "eu-west-2",
        "account_id": 123_456_789_012_u64,
        "cluster": "backend-booking-prod",
        "services": [{ "name": "web", "container": "django", "health_url": "https://booking.example.com/health/" }],
        "ssm_prefix": "/backend-booking/prod/",
        "monthly_budget_usd": 1500,
        "approver_groups": ["platform-leads"],
        "freeze_windows": [{
            "starts_at": { "$__toml_private_datetime": "2026-12-20T00:00:00Z" },
            "ends_at": "2027-01-04T00:00:00Z",
            "reason": "Holidays"
        }],
    }))
    .unwrap();
    assert_eq!(input.account_id, "123456789012");
    assert_eq!(input.freeze_windows[0].starts_at, "2026-12-20T00:00:00Z");
    let env = input.validate().unwrap();
    assert_eq!(env.monthly_budget_cents, Some(150_000));
    assert_eq!(env.approval.required_approvals, 1);

    let unknown = serde_json::from_value::<EnvironmentInput>(serde_json::json!({
        "name": "dev", "region": "us-east-1", "account_id": "123456789012",
        "cluster": "dev", "ssm_prefix": "/a/", "budget": 5,
    }))
    .unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `budget`"),
        "{unknown}"
    );
    let unknown_service = serde_json::from_value::<ServiceInput>(serde_json::json!({
        "name": "web", "container": "app", "port": 80,
    }))
    .unwrap_err();
    assert!(unknown_service.to_string().contains("unknown field `port`"));
}

#[test]
fn stored_json_is_validated_on_the_way_back() {
    let env = prod().validate().unwrap();
    let json = serde_json::to_value(&env).unwrap();
    let back: Environment = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, env);
    let mut bad = json;
    bad["region"] = "mars-1".into();
    assert!(serde_json::from_value::<Environment>(bad).is_err());
}
