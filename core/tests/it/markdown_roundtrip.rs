//! The team's status document (fixtures/infrastructure-status.md, with its
//! mangled emoji) through the importer and the exporter.

use std::collections::BTreeMap;

use gantry_core::roadmap::markdown::{
    demojibake, parse_document, parse_edition, render_document, ImportOptions, ParseError,
};
use gantry_core::roadmap::model::{
    CostRange, CostSection, Module, ModuleSlug, ModuleStatus, Phase, PriorityLevel, Roadmap,
    Section,
};
use gantry_core::shared::EnvName;

const SEED: &str = include_str!("../../../fixtures/infrastructure-status.md");

fn env(name: &str) -> EnvName {
    EnvName::parse(name).expect("valid environment name")
}

fn dev() -> EnvName {
    env("dev")
}

fn prod() -> EnvName {
    env("prod")
}

fn opts() -> ImportOptions {
    ImportOptions {
        environments: vec![dev(), prod()],
        strict: false,
    }
}

fn slug(s: &str) -> ModuleSlug {
    ModuleSlug::parse(s).expect("valid module id")
}

fn seed() -> Roadmap {
    parse_document(SEED, &opts()).expect("the seed parses")
}

fn module<'a>(roadmap: &'a Roadmap, s: &str) -> &'a Module {
    roadmap
        .module(&slug(s))
        .unwrap_or_else(|| panic!("no module {s}"))
}

/// (component, qualifier, low cents, high cents, linked module)
type CostRow<'a> = (&'a str, Option<&'a str>, i64, i64, Option<&'a str>);

fn cost_rows(costs: &CostSection) -> Vec<CostRow<'_>> {
    costs
        .items
        .iter()
        .map(|i| {
            (
                i.component.as_str(),
                i.qualifier.as_deref(),
                i.monthly.low_cents,
                i.monthly.high_cents,
                i.module.as_ref().map(ModuleSlug::as_str),
            )
        })
        .collect()
}

fn parse_err(text: &str) -> ParseError {
    parse_document(text, &opts()).expect_err("the document is refused")
}

// --- document prose ---------------------------------------------------------

#[test]
fn meta() {
    let r = seed();
    let m = &r.meta;
    assert_eq!(m.title, "Infrastructure Status & Future Modules");
    assert_eq!(m.current_date.as_deref(), Some("November 2024"));
    assert_eq!(
        m.intro.as_deref(),
        Some("This document tracks the current state of the Backend Booking infrastructure and planned future enhancements.")
    );
    assert_eq!(m.notes.len(), 5);
    assert_eq!(
        m.notes[0],
        "All modules follow Terraform best practices with proper input validation and outputs"
    );
    assert_eq!(
        m.notes[4],
        "Infrastructure is designed for high availability in production"
    );
    let updates: Vec<(&str, &str)> = m
        .updates
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        updates,
        [
            ("Created", "November 2024"),
            ("Last Updated", "November 2024"),
            ("Next Review", "December 2024")
        ]
    );
    assert_eq!(
        m.footer.as_deref(),
        Some("This document should be updated whenever new modules are added or infrastructure changes are made.")
    );
    let horizons: BTreeMap<Phase, &str> = m
        .phase_horizons
        .iter()
        .map(|(p, h)| (*p, h.as_str()))
        .collect();
    assert_eq!(
        horizons,
        BTreeMap::from([
            (Phase::Immediate, "This Week"),
            (Phase::Short, "Next 2 Weeks"),
            (Phase::Medium, "Next Month"),
            (Phase::Long, "Next Quarter"),
        ])
    );
    assert_eq!(r.environments, vec![dev(), prod()]);
}

// --- modules ------------------------------------------------------------------

#[test]
fn module_counts_per_section_and_group() {
    let r = seed();
    let count = |s: Section| r.modules.iter().filter(|m| m.section == s).count();
    assert_eq!(count(Section::Implemented), 11);
    assert_eq!(count(Section::Ready), 2);
    assert_eq!(count(Section::Future), 10);
    let group = |g: &str| {
        r.modules
            .iter()
            .filter(|m| m.group.as_deref() == Some(g))
            .count()
    };
    assert_eq!(group("Core Infrastructure"), 7);
    assert_eq!(group("Supporting Infrastructure"), 4);
    // Positions: document order across sections.
    let positions: Vec<u32> = r.modules.iter().map(|m| m.position).collect();
    assert_eq!(positions, (0..23).collect::<Vec<u32>>());
    let slugs: Vec<&str> = r.modules.iter().map(|m| m.slug.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "networking",
            "alb",
            "ecs-cluster",
            "ecs-task-definition",
            "ecs-service",
            "rds",
            "vpc-endpoints",
            "ecr-repository",
            "parameter-store",
            "security-groups",
            "cloudwatch-logs",
            "elasticache",
            "s3",
            "cloudfront-cdn",
            "route53-dns",
            "dramatiq-worker",
            "codepipeline",
            "backup",
            "monitoring-alerting",
            "waf",
            "secrets-rotation",
            "auto-scaling-module-enhancements",
            "cost-optimization",
        ]
    );
}

#[test]
fn networking() {
    let r = seed();
    let m = module(&r, "networking");
    assert_eq!(m.name, "Networking Module");
    assert_eq!(m.section, Section::Implemented);
    assert_eq!(m.group.as_deref(), Some("Core Infrastructure"));
    assert_eq!(m.path.as_deref(), Some("modules/networking/"));
    assert_eq!(
        m.features,
        [
            "VPC with public/private subnets across 2 AZs",
            "Internet Gateway and route tables",
            "Security groups for ALB, ECS, RDS, Redis",
        ]
    );
    assert_eq!(m.status_note.as_deref(), Some("Deployed and operational"));
    assert_eq!(
        m.statuses,
        BTreeMap::from([
            (dev(), ModuleStatus::Deployed),
            (prod(), ModuleStatus::Ready)
        ])
    );
    assert!(m.priority.is_empty());
    assert_eq!(m.phase, None);
    assert_eq!(m.position, 0);
}

#[test]
fn alb_status_note_keeps_inline_code() {
    let r = seed();
    let m = module(&r, "alb");
    assert_eq!(m.name, "Application Load Balancer");
    assert_eq!(
        m.status_note.as_deref(),
        Some("Deployed with `/health/` endpoint configured")
    );
    assert_eq!(m.features.len(), 3);
}

#[test]
fn ecr_repository_inline_form() {
    let r = seed();
    let m = module(&r, "ecr-repository");
    assert_eq!(m.name, "ECR Repository");
    assert_eq!(m.group.as_deref(), Some("Supporting Infrastructure"));
    assert_eq!(m.path, None);
    assert!(m.features.is_empty());
    assert_eq!(
        m.status_note.as_deref(),
        Some("Created with lifecycle policies")
    );
    assert_eq!(m.statuses.get(&dev()), Some(&ModuleStatus::Deployed));
    assert_eq!(m.position, 7);
}

#[test]
fn elasticache() {
    let r = seed();
    let m = module(&r, "elasticache");
    assert_eq!(m.name, "Redis/ElastiCache Module");
    assert_eq!(m.section, Section::Ready);
    assert_eq!(m.group, None);
    assert_eq!(m.path.as_deref(), Some("modules/elasticache/"));
    assert_eq!(m.path_note.as_deref(), Some("needs creation"));
    assert_eq!(
        m.purpose.as_deref(),
        Some("Session storage and Dramatiq message broker")
    );
    let config = m.config.as_ref().unwrap();
    assert_eq!(config.lang, "hcl");
    assert_eq!(config.body.lines().next(), Some("module \"redis\" {"));
    assert_eq!(config.body.split('\n').count(), 15);
    assert_eq!(
        config.body.split('\n').nth(2),
        Some("  "),
        "blank lines keep their two spaces"
    );
    assert!(config.body.ends_with('}'));
    assert_eq!(
        m.statuses,
        BTreeMap::from([(dev(), ModuleStatus::Ready), (prod(), ModuleStatus::Ready)])
    );
    assert_eq!(m.phase, Some(Phase::Immediate));
}

#[test]
fn s3_config_block() {
    let r = seed();
    let m = module(&r, "s3");
    assert_eq!(m.name, "S3 Static/Media Storage Module");
    let config = m.config.as_ref().unwrap();
    assert_eq!(config.body.lines().next(), Some("module \"s3\" {"));
    assert_eq!(config.body.split('\n').count(), 17);
}

#[test]
fn waf_per_env_priority() {
    let r = seed();
    let m = module(&r, "waf");
    assert_eq!(m.priority.default, None);
    assert_eq!(
        m.priority.per_env,
        BTreeMap::from([(dev(), PriorityLevel::Low), (prod(), PriorityLevel::High)])
    );
    assert_eq!(m.phase, Some(Phase::Medium));
    let secrets = module(&r, "secrets-rotation");
    assert_eq!(
        secrets.priority.per_env,
        BTreeMap::from([(dev(), PriorityLevel::Low), (prod(), PriorityLevel::Medium)])
    );
    assert_eq!(secrets.phase, None);
}

#[test]
fn codepipeline() {
    let r = seed();
    let m = module(&r, "codepipeline");
    assert_eq!(m.name, "CodePipeline CI/CD Module");
    assert_eq!(
        m.current_note.as_deref(),
        Some("Module exists at `modules/codepipeline/`")
    );
    assert_eq!(
        m.status_note.as_deref(),
        Some("Not deployed - needs GitHub connection setup")
    );
    assert_eq!(m.priority.default, Some(PriorityLevel::Medium));
    assert!(m.priority.per_env.is_empty());
    assert_eq!(m.path.as_deref(), Some("modules/codepipeline/"));
    assert_eq!(m.path_note, None);
    assert_eq!(m.features.len(), 4);
    assert_eq!(m.phase, Some(Phase::Medium));
}

#[test]
fn cloudfront_cdn() {
    let r = seed();
    let m = module(&r, "cloudfront-cdn");
    assert_eq!(m.name, "CloudFront CDN Module");
    assert_eq!(m.section, Section::Future);
    assert_eq!(m.path, None);
    assert_eq!(m.priority.default, None);
    assert_eq!(
        m.priority.per_env,
        BTreeMap::from([(prod(), PriorityLevel::High)])
    );
    assert_eq!(
        m.purpose.as_deref(),
        Some("Global content delivery for static assets")
    );
    assert_eq!(m.features.len(), 5);
    assert_eq!(m.features[4], "WAF integration (optional)");
    assert_eq!(m.phase, Some(Phase::Short));
    assert_eq!(
        m.statuses,
        BTreeMap::from([
            (dev(), ModuleStatus::Planned),
            (prod(), ModuleStatus::Planned)
        ])
    );
    assert_eq!(m.position, 13);
}

#[test]
fn phases_from_next_steps() {
    let r = seed();
    let phase = |s: &str| module(&r, s).phase;
    assert_eq!(phase("s3"), Some(Phase::Immediate));
    assert_eq!(phase("route53-dns"), Some(Phase::Short));
    assert_eq!(phase("dramatiq-worker"), Some(Phase::Short));
    // Linked from a Short and a Medium step: the earliest wins.
    assert_eq!(phase("monitoring-alerting"), Some(Phase::Short));
    assert_eq!(phase("backup"), Some(Phase::Medium));
    assert_eq!(phase("auto-scaling-module-enhancements"), Some(Phase::Long));
    assert_eq!(phase("cost-optimization"), Some(Phase::Long));
    // Implemented modules keep no phase even when a step names them.
    assert_eq!(phase("alb"), None);
}

// --- next steps -----------------------------------------------------------------

#[test]
fn next_steps_and_links() {
    let r = seed();
    assert_eq!(r.next_steps.len(), 16);
    let completed: Vec<&str> = r
        .next_steps
        .iter()
        .filter(|s| s.completed)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(
        completed,
        ["Fix ALB health checks", "Resolve SSM parameter conflicts"]
    );

    let expected: [(Phase, &str, Option<&str>); 16] = [
        (Phase::Immediate, "Fix ALB health checks", Some("alb")),
        (
            Phase::Immediate,
            "Resolve SSM parameter conflicts",
            Some("parameter-store"),
        ),
        (
            Phase::Immediate,
            "Deploy Redis/ElastiCache for session storage",
            Some("elasticache"),
        ),
        (
            Phase::Immediate,
            "Create S3 buckets for static files",
            Some("s3"),
        ),
        (
            Phase::Short,
            "Set up CloudFront CDN",
            Some("cloudfront-cdn"),
        ),
        (
            Phase::Short,
            "Configure Route53 for custom domain",
            Some("route53-dns"),
        ),
        (
            Phase::Short,
            "Deploy Dramatiq workers for background jobs",
            Some("dramatiq-worker"),
        ),
        (
            Phase::Short,
            "Implement basic monitoring dashboards",
            Some("monitoring-alerting"),
        ),
        (
            Phase::Medium,
            "Set up CI/CD pipeline with CodePipeline",
            Some("codepipeline"),
        ),
        (
            Phase::Medium,
            "Implement comprehensive backup strategy",
            Some("backup"),
        ),
        (
            Phase::Medium,
            "Add advanced monitoring and alerting",
            Some("monitoring-alerting"),
        ),
        (
            Phase::Medium,
            "Deploy WAF for production readiness",
            Some("waf"),
        ),
        (Phase::Long, "Multi-region disaster recovery", None),
        (
            Phase::Long,
            "Advanced auto-scaling strategies",
            Some("auto-scaling-module-enhancements"),
        ),
        (
            Phase::Long,
            "Cost optimization initiatives",
            Some("cost-optimization"),
        ),
        (Phase::Long, "Security hardening and compliance", None),
    ];
    for (step, (phase, text, module)) in r.next_steps.iter().zip(expected) {
        assert_eq!(step.phase, phase, "{text}");
        assert_eq!(step.text, text);
        assert_eq!(
            step.module.as_ref().map(ModuleSlug::as_str),
            module,
            "{text}"
        );
    }
}

// --- costs ----------------------------------------------------------------------

#[test]
fn costs() {
    let r = seed();
    assert_eq!(r.costs.len(), 2);
    let dev_costs = &r.costs[0];
    assert_eq!(dev_costs.environment, dev());
    assert_eq!(dev_costs.title, "Development Environment");
    assert!(!dev_costs.projected);
    let items = cost_rows(dev_costs);
    assert_eq!(
        items,
        [
            ("ECS Fargate", None, 1500, 1500, Some("ecs-service")),
            ("RDS", None, 1500, 1500, Some("rds")),
            ("ALB", None, 2000, 2000, Some("alb")),
            ("VPC Endpoints", None, 2000, 2000, Some("vpc-endpoints")),
        ]
    );
    assert_eq!(
        dev_costs.stated_total,
        Some(CostRange {
            low_cents: 7000,
            high_cents: 8000
        })
    );

    let prod_costs = &r.costs[1];
    assert_eq!(prod_costs.environment, prod());
    assert_eq!(prod_costs.title, "Production Environment");
    assert!(prod_costs.projected);
    let items = cost_rows(prod_costs);
    assert_eq!(
        items,
        [
            (
                "ECS Fargate",
                Some("3-10 tasks"),
                15000,
                20000,
                Some("ecs-service")
            ),
            ("RDS Multi-AZ", None, 10000, 10000, Some("rds")),
            ("ElastiCache", None, 5000, 5000, Some("elasticache")),
            ("ALB", None, 2500, 2500, Some("alb")),
            ("CloudFront", None, 2000, 5000, Some("cloudfront-cdn")),
            ("S3 & Data Transfer", None, 2000, 5000, Some("s3")),
        ]
    );
    assert_eq!(
        prod_costs.stated_total,
        Some(CostRange {
            low_cents: 36500,
            high_cents: 47500
        })
    );

    assert_eq!(
        r.estimated_cost(&slug("elasticache"), &prod()),
        Some(CostRange::exact(5000))
    );
    assert_eq!(r.estimated_cost(&slug("elasticache"), &dev()), None);
    assert_eq!(
        r.estimated_cost(&slug("ecs-service"), &prod()),
        Some(CostRange {
            low_cents: 15000,
            high_cents: 20000
        })
    );
}

// --- round trips ------------------------------------------------------------------

#[test]
fn export_reproduces_the_document_with_clean_emoji() {
    let rendered = render_document(&seed());
    let clean = format!("{}\n", demojibake(SEED));
    if rendered != clean {
        for (i, (a, b)) in rendered.lines().zip(clean.lines()).enumerate() {
            assert_eq!(a, b, "first difference at line {}", i + 1);
        }
        assert_eq!(rendered.lines().count(), clean.lines().count());
    }
    assert!(rendered.contains("## ✅ Currently Implemented Modules"));
    assert!(rendered.contains("## 🚧 Modules Ready but Not Deployed"));
    assert!(rendered.contains("1. ✅ Fix ALB health checks (COMPLETED)"));
}

#[test]
fn parse_render_parse_is_lossless() {
    let first = seed();
    let rendered = render_document(&first);
    let second = parse_document(&rendered, &opts()).unwrap();
    assert_eq!(first, second);
    assert_eq!(render_document(&second), rendered);
}

#[test]
fn clean_emoji_version_parses_the_same() {
    let clean = demojibake(SEED);
    assert_ne!(clean, SEED);
    assert!(!clean.contains('\u{F8FF}'));
    assert_eq!(parse_document(&clean, &opts()).unwrap(), seed());
}

#[test]
fn crlf_line_endings_parse_the_same() {
    let crlf = SEED.replace('\n', "\r\n");
    assert_eq!(parse_document(&crlf, &opts()).unwrap(), seed());
}

#[test]
fn edited_roadmap_round_trips() {
    let mut r = seed();
    let staging = env("staging");
    r.environments = vec![dev(), staging.clone(), prod()];
    for m in &mut r.modules {
        let status = m.section.default_status(staging.as_str());
        m.statuses.insert(staging.clone(), status);
    }
    let opts = ImportOptions {
        environments: r.environments.clone(),
        strict: false,
    };
    {
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "networking")
            .unwrap();
        m.statuses.insert(prod(), ModuleStatus::Deployed);
        m.owner = Some("platform team".into());
        m.target_date = Some("2025-01-31".into());
        m.notes = Some("Shared by every service".into());
        m.phase = Some(Phase::Long);
        m.priority.default = Some(PriorityLevel::High);
        m.priority
            .per_env
            .insert(staging.clone(), PriorityLevel::Low);
    }
    {
        // An inline module that gains a field switches to the bullet form.
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "ecr-repository")
            .unwrap();
        m.statuses.insert(staging.clone(), ModuleStatus::InProgress);
        m.dependencies = vec![slug("networking")];
    }
    {
        // Everything retired: still exported, with its Environments line.
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "cloudwatch-logs")
            .unwrap();
        for status in m.statuses.values_mut() {
            *status = ModuleStatus::Retired;
        }
    }
    {
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "waf")
            .unwrap();
        // Linking says Medium; the hand-set phase must survive.
        m.phase = Some(Phase::Immediate);
        m.owner = Some("security".into());
        m.statuses.insert(dev(), ModuleStatus::InProgress);
        m.dependencies = vec![slug("alb"), slug("cloudfront-cdn")];
    }
    {
        // Linking says Short; "no phase" must survive too.
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "route53-dns")
            .unwrap();
        m.phase = None;
        m.path_note = Some("not created yet".into());
    }
    {
        // A Path that is not derivable from the Current note.
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "backup")
            .unwrap();
        m.path = Some("modules/backup/".into());
        m.path_note = Some("needs creation".into());
        m.group = Some("Resilience".into());
    }
    r.costs[0].items[0].monthly = CostRange {
        low_cents: 120_050,
        high_cents: 130_000,
    };

    let rendered = render_document(&r);
    assert!(rendered.contains("  - Environments: dev deployed, staging ready, prod deployed"));
    assert!(rendered.contains("  - Environments: dev retired, staging retired, prod retired"));
    assert!(rendered.contains("**Phase**: Immediate"));
    assert!(rendered.contains("**Phase**: None"));
    assert!(rendered.contains("  - Priority: High, Low for Staging"));
    assert!(rendered.contains("~$1,200.50-1,300/month"));
    let back = parse_document(&rendered, &opts).unwrap();
    assert_eq!(back, r);
    assert_eq!(render_document(&back), rendered);
}

#[test]
fn configured_environment_names_are_honoured() {
    let opts = ImportOptions {
        environments: vec![env("development"), env("production")],
        strict: false,
    };
    let r = parse_document(SEED, &opts).unwrap();
    let waf = r.module(&slug("waf")).unwrap();
    assert_eq!(
        waf.priority.per_env.get(&env("production")),
        Some(&PriorityLevel::High)
    );
    assert_eq!(r.costs[0].environment, env("development"));
    // "development" is not "dev": implemented modules default to ready there.
    let networking = r.module(&slug("networking")).unwrap();
    assert_eq!(
        networking.statuses.get(&env("development")),
        Some(&ModuleStatus::Ready)
    );
    let back = parse_document(&render_document(&r), &opts).unwrap();
    assert_eq!(back, r);
}

// --- bad input ------------------------------------------------------------------------

#[test]
fn empty_or_untitled_documents_are_refused() {
    let e = parse_err("");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("expected a '# ' title"), "{e}");
    let e = parse_err("\n\n   \n");
    assert_eq!(e.line, 1);
    let e = parse_err("\nSome text\n# Title\n");
    assert_eq!(e.line, 2);
    assert_eq!(
        e.to_string(),
        "line 2: not an infrastructure status document: expected a '# ' title"
    );
}

#[test]
fn readme_is_refused_at_its_first_unknown_section() {
    let readme = "# My Project\n\nA tool.\n\n## Installation\n\nRun `cargo install`.\n\n## Usage\n";
    let e = parse_err(readme);
    assert_eq!(e.line, 5);
    assert!(
        e.message
            .starts_with("unknown section \"Installation\": expected one of"),
        "{e}"
    );
    assert!(e.message.contains("Currently Implemented Modules"), "{e}");
}

#[test]
fn document_without_module_section_is_refused() {
    let e = parse_err("# Title\n\nJust prose.\n\n## 📝 Notes\n\n- a note\n");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("no module section"), "{e}");
    let e = parse_err("# Title\n");
    assert_eq!(e.line, 1);
}

#[test]
fn unclosed_fence_names_its_opening_line() {
    let text = "# T\n\n## 🚧 Modules Ready but Not Deployed\n\n### Redis\n**Configuration Needed**:\n```hcl\nmodule \"x\" {\n";
    let e = parse_err(text);
    assert_eq!(e.line, 7);
    assert!(e.message.contains("never closed"), "{e}");
}

#[test]
fn field_before_any_module_is_refused() {
    let e = parse_err("# T\n\n## Modules Ready but Not Deployed\n\n**Path**: `modules/x/`\n");
    assert_eq!(e.line, 5);
    assert!(e.message.contains("before any module"), "{e}");
    let e = parse_err("# T\n\n## Currently Implemented Modules\n### Core\n  - Status: ✅ ok\n");
    assert_eq!(e.line, 5);
    assert!(e.message.contains("before any module"), "{e}");
}

#[test]
fn bad_values_name_their_line() {
    let doc = |body: &str| {
        format!("# T\n\n## 📋 Future Modules to Implement\n\n### 1. Thing Module\n{body}\n")
    };
    let e = parse_err(&doc("**Priority**: Urgent"));
    assert_eq!(e.line, 6);
    assert!(e.message.contains("\"Urgent\""), "{e}");
    let e = parse_err(&doc("**Purpose**: x\n**Target**: next week"));
    assert_eq!(e.line, 7);
    assert!(e.message.contains("YYYY-MM-DD"), "{e}");
    let e = parse_err(&doc("**Environments**: staging deployed"));
    assert_eq!(e.line, 6);
    assert!(e.message.contains("\"staging\""), "{e}");
    let e = parse_err(&doc("**Environments**: dev shipped"));
    assert!(e.message.contains("\"shipped\""), "{e}");
    let e = parse_err(&doc("**Colour**: blue"));
    assert!(e.message.starts_with("unknown field \"Colour\""), "{e}");
    let e = parse_err(&doc("**Purpose**: a\n**Purpose**: b"));
    assert_eq!(e.line, 7);
    assert!(e.message.contains("duplicate field"), "{e}");
    let e = parse_err(&doc("- stray bullet"));
    assert_eq!(e.line, 6);
    let e = parse_err(&doc("**Phase**: someday"));
    assert!(e.message.contains("unknown phase"), "{e}");
    let e = parse_err(&doc("**Depends on**: Not A Slug"));
    assert!(e.message.contains("invalid module id"), "{e}");
}

#[test]
fn a_module_listed_twice_is_refused_at_the_second_in_strict_mode() {
    let text = "# T\n\n## 📋 Future Modules to Implement\n\n### 1. WAF Module\n\n### 2. WAF\n";
    let strict = ImportOptions {
        strict: true,
        ..opts()
    };
    let e = parse_edition(text, &strict).expect_err("strict refuses the twin");
    assert_eq!(e.line, 7);
    assert!(e.message.contains("duplicate module"), "{e}");
    assert!(
        e.message
            .contains("\"WAF\" is the same module as \"WAF Module\" (line 5)"),
        "{e}"
    );
    // The error says its line once (the CLI prints it as it is).
    assert_eq!(e.to_string().matches("line 7").count(), 1, "{e}");
}

#[test]
fn a_module_listed_twice_is_one_module_with_a_warning_naming_both_lines() {
    // Moved to "implemented" but not deleted from "ready": same Terraform path, another name.
    let moved = "# T\n\n## ✅ Currently Implemented Modules\n\n### Core\n\
                 - **ElastiCache Redis** (`modules/elasticache/`)\n  - Status: ✅ Deployed\n\n\
                 ## 🚧 Modules Ready but Not Deployed\n\n### Redis/ElastiCache Module\n\
                 **Path**: `modules/elasticache/`\n**Purpose**: Sessions\n";
    let parsed = parse_edition(moved, &opts()).expect("merged, not refused");
    assert_eq!(
        parsed.roadmap.modules.len(),
        1,
        "{:?}",
        parsed.roadmap.modules
    );
    let m = &parsed.roadmap.modules[0];
    assert_eq!(m.slug.as_str(), "elasticache");
    assert_eq!(
        m.section,
        Section::Implemented,
        "the more advanced entry wins"
    );
    assert_eq!(m.statuses[&dev()], ModuleStatus::Deployed);
    assert_eq!(
        m.purpose.as_deref(),
        Some("Sessions"),
        "filled in from the other entry"
    );
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    let w = &parsed.warnings[0];
    assert_eq!(w.line, 11);
    assert!(w.message.contains("(line 6)"), "{w}");
    assert!(
        w.message
            .contains("the same Terraform path modules/elasticache/"),
        "{w}"
    );
    assert!(
        w.message
            .contains("imported once, in \"Currently Implemented Modules\""),
        "{w}"
    );

    // A slightly different name, in the same section.
    let renamed =
        "# T\n\n## 📋 Future Modules to Implement\n\n### 1. Monitoring & Alerting Module\n\
                   **Priority**: Medium\n\n### 2. Monitoring and Alerting\n**Owner**: Platform\n";
    let parsed = parse_edition(renamed, &opts()).expect("merged");
    assert_eq!(parsed.roadmap.modules.len(), 1);
    let m = &parsed.roadmap.modules[0];
    assert_eq!(
        m.name, "Monitoring & Alerting Module",
        "the first entry leads when neither is ahead"
    );
    assert_eq!(m.owner.as_deref(), Some("Platform"));
    assert!(
        parsed.warnings[0]
            .message
            .contains("the same name once case"),
        "{:?}",
        parsed.warnings
    );

    // Distinct modules stay distinct.
    let two = "# T\n\n## 📋 Future Modules to Implement\n\n### 1. ECS Service\n\n### 2. ECS Service Autoscaling\n";
    let parsed = parse_edition(two, &opts()).unwrap();
    assert_eq!(parsed.roadmap.modules.len(), 2);
    assert!(parsed.warnings.is_empty());
    // The seed lists every module once.
    assert!(parse_edition(SEED, &opts()).unwrap().warnings.is_empty());
}

#[test]
fn bad_costs_are_refused() {
    let doc = |body: &str| {
        format!("# T\n\n## 📋 Future Modules to Implement\n\n## 📊 Current Infrastructure Costs (Estimated)\n\n{body}\n")
    };
    let e = parse_err(&doc("### Moon Base\n- Rockets: ~$5/month"));
    assert_eq!(e.line, 7);
    assert!(e.message.contains("which environment"), "{e}");
    let e = parse_err(&doc("- Rockets: ~$5/month"));
    assert_eq!(e.line, 7);
    let e = parse_err(&doc("### Development Environment\n- Rockets: a lot"));
    assert_eq!(e.line, 8);
    assert!(e.message.contains("\"a lot\""), "{e}");
}

#[test]
fn unknown_heading_in_the_seed_is_refused() {
    let text = SEED.replace("## \u{F8FF}üìù Notes", "## Appendix");
    let e = parse_err(&text);
    let line = SEED.lines().position(|l| l.ends_with(" Notes")).unwrap() + 1;
    assert_eq!(e.line, line);
    assert!(e.message.contains("\"Appendix\""), "{e}");
}

#[test]
fn never_panics_on_odd_input() {
    let samples = [
        "#",
        "# ",
        "# T\n## ",
        "# T\n## Currently Implemented Modules\n- **",
        "# T\n## Currently Implemented Modules\n- **X** (`",
        "# T\n## Currently Implemented Modules\n- **X** (`a`) (b) (c)",
        "# T\n## Currently Implemented Modules\n- **X** ((",
        "# T\n## Currently Implemented Modules\n- ****",
        "# T\n## Future Modules\n### 1.\n",
        "# T\n## Future Modules\n### 12\n**",
        "# T\n## Future Modules\n### X\n**Path**: `",
        "# T\n## Future Modules\n### X\n**Priority**: for",
        "# T\n## Future Modules\n### X\n**Priority**: High for ,",
        "# T\n## Future Modules\n~~~\n",
        "# T\n## Future Modules\n```",
        "# T\n## Next Steps\n### (\n1. x",
        "# T\n## Next Steps\n### Immediate (\n1. ✅",
        "# T\n## Costs\n### Dev\n- : $",
        "# T\n## Costs\n### Dev\n- x: $.",
        "# T\n## Costs\n### Dev\n- x: $1-",
        "# T\n## Costs\n### Dev (Projected)\n- **Total**: ~$",
        "# T\n## Future Modules\n---\n## Notes",
        "# T\n## Future Modules\n---\ntext\n## Notes",
        "\u{FEFF}# T\n## Future Modules\n",
        "# T\n\u{F8FF}üöß\n‚úÖ\n## ‚úÖ",
        "# ÄÖÜ\n## Currently implemented é\n### é\n- **é**: é",
    ];
    for text in samples {
        // Ok or Err, but no panic; errors name a line inside the text.
        if let Err(e) = parse_document(text, &opts()) {
            assert!(
                e.line >= 1 && e.line <= text.split('\n').count(),
                "{text:?}: {e}"
            );
        }
    }
    // Every prefix of the seed, cut at any line.
    let lines: Vec<&str> = SEED.split('\n').collect();
    for n in 0..=lines.len() {
        let _ = parse_document(&lines[..n].join("\n"), &opts());
    }
}

#[test]
fn unusual_roadmap_round_trips() {
    let mut r = seed();
    r.meta.intro = Some("First paragraph\nwith two lines.\n\nSecond paragraph.".into());
    r.meta.phase_horizons.remove(&Phase::Long);
    r.next_steps.retain(|s| s.phase != Phase::Long);
    r.next_steps.push(gantry_core::roadmap::model::NextStep {
        phase: Phase::Long,
        text: "Retire the legacy VPN".into(),
        completed: true,
        module: None,
    });
    {
        // An implemented module with a configuration block that itself
        // contains a fence and blank lines.
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "rds")
            .unwrap();
        m.config = Some(gantry_core::roadmap::model::ConfigBlock {
            lang: "markdown".into(),
            body: "Example:\n\n```hcl\nx = 1\n```\n  ".into(),
        });
        m.purpose = Some("The database".into());
    }
    {
        // An implemented module without a group goes before the groups.
        let m = r
            .modules
            .iter_mut()
            .find(|m| m.slug.as_str() == "networking")
            .unwrap();
        m.group = None;
    }
    let networking = r.modules.remove(0);
    r.modules.insert(0, networking);
    let rendered = render_document(&r);
    let back = parse_document(&rendered, &opts()).unwrap();
    assert_eq!(back, r);
    assert_eq!(render_document(&back), rendered);
    assert!(rendered.contains("### Long Term\n1. ✅ Retire the legacy VPN (COMPLETED)"));
    assert!(rendered.contains("    ````markdown\n    Example:\n    \n    ```hcl"));
}

#[test]
fn stored_roadmaps_render_to_parseable_documents() {
    // A roadmap as the database could hold it: defaults, odd titles, modules
    // moved between sections, colliding positions.
    let mut r = seed();
    r.costs[1].title = "Launch budget".into();
    for m in &mut r.modules {
        m.position = 0;
    }
    let m = r
        .modules
        .iter_mut()
        .find(|m| m.slug.as_str() == "waf")
        .unwrap();
    m.section = Section::Implemented;
    m.group = Some("Security".into());
    let rendered = render_document(&r);
    assert!(rendered.contains("### Launch budget (prod) (Projected)"));
    let back = parse_document(&rendered, &opts()).unwrap();
    assert_eq!(back.modules.len(), r.modules.len());
    assert_eq!(back.costs[1].environment, prod());
    assert_eq!(render_document(&back), rendered);

    let empty = Roadmap::default();
    let rendered = render_document(&empty);
    let back = parse_document(&rendered, &ImportOptions::default()).unwrap();
    assert_eq!(back, empty);
}

#[test]
fn mutated_documents_never_panic() {
    let lines: Vec<&str> = SEED.split('\n').collect();
    for i in 0..lines.len() {
        let mut without = lines.clone();
        without.remove(i);
        let _ = parse_document(&without.join("\n"), &opts());
        let mut doubled = lines.clone();
        doubled.insert(i, lines[i]);
        let _ = parse_document(&doubled.join("\n"), &opts());
        let mut indented = lines.clone();
        let shifted = format!("  {}", lines[i]);
        indented[i] = &shifted;
        let _ = parse_document(&indented.join("\n"), &opts());
    }
    // Truncated at every character boundary (cuts through emoji included).
    for (i, _) in SEED.char_indices().step_by(7) {
        let _ = parse_document(&SEED[..i], &opts());
    }
}
