use super::*;

/// The words are the ones stored and sent before this crate existed.
#[test]
fn each_value_keeps_its_word_on_the_wire_in_text_and_in_parse() {
    let words = |all: &[&'static str]| all.join(",");
    assert_eq!(
        words(&JobKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
        "provision,deploy,scale,configure,rollback,teardown"
    );
    assert_eq!(
        words(&JobState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        "awaiting_approval,queued,running,succeeded,failed,cancelled,rolled_back,stale,stuck"
    );
    assert_eq!(
        words(
            &StepState::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
        ),
        "pending,running,succeeded,failed,skipped"
    );
    for state in JobState::ALL {
        let json = format!("\"{state}\"");
        assert_eq!(serde_json::to_string(state).unwrap(), json);
        assert_eq!(serde_json::from_str::<JobState>(&json).unwrap(), *state);
        assert_eq!(JobState::parse(state.as_str()), Ok(*state));
        assert_eq!(state.to_string().parse::<JobState>(), Ok(*state));
    }
}

#[test]
fn an_unknown_word_is_refused_naming_the_accepted_ones() {
    let refused = JobKind::parse("Deploy").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "unknown job kind \"Deploy\": use one of provision, deploy, scale, configure, rollback, teardown"
    );
    assert!(" queued".parse::<JobState>().is_err());
}
fn words<W: Word>() -> String {
    W::VARIANTS
        .iter()
        .map(|w| w.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The words the hand-written `as_str`s gave before these types moved here:
/// they are stored in the database and in the audit chain.
#[test]
fn the_moved_words_are_the_ones_stored_before() {
    assert_eq!(words::<LogLevel>(), "info,warn,error");
    assert_eq!(words::<Role>(), "viewer,operator,approver,admin");
    assert_eq!(
        words::<Permission>(),
        "read,edit_roadmap,run_jobs,approve,read_audit,administer"
    );
    assert_eq!(words::<Section>(), "implemented,ready,future");
    assert_eq!(
        words::<ModuleStatus>(),
        "planned,ready,in_progress,deployed,retired"
    );
    assert_eq!(words::<PriorityLevel>(), "low,medium,high");
    assert_eq!(words::<Phase>(), "immediate,short,medium,long");
    assert_eq!(
        words::<HealthStatus>(),
        "healthy,progressing,unknown,missing,degraded"
    );
    assert_eq!(words::<Component>(), "ecs,targets,alarms,probe");
    assert_eq!(words::<Decision>(), "approve,reject");
    assert_eq!(words::<FreezeMode>(), "refuse,wait");
    for status in HealthStatus::ALL {
        assert_eq!(
            serde_json::to_string(status).unwrap(),
            format!("\"{}\"", status.as_str())
        );
    }
    assert_eq!(
        serde_json::to_string(&Permission::EditRoadmap).unwrap(),
        "\"edit_roadmap\""
    );
}

/// Words people type are read loosely where they always were (statuses,
/// priorities, phases, health), exactly everywhere else (sections, roles,
/// decisions, freeze modes, the jobs' words).
#[test]
fn loose_words_fold_case_space_and_hyphen_and_exact_ones_do_not() {
    assert_eq!(
        ModuleStatus::parse("In progress"),
        Ok(ModuleStatus::InProgress)
    );
    assert_eq!(
        ModuleStatus::parse(" in-progress "),
        Ok(ModuleStatus::InProgress)
    );
    assert_eq!(PriorityLevel::parse("High"), Ok(PriorityLevel::High));
    assert_eq!(Phase::parse(" SHORT"), Ok(Phase::Short));
    for status in HealthStatus::ALL {
        assert_eq!(HealthStatus::parse(status.label()), Ok(*status));
    }
    assert_eq!(HealthStatus::Healthy.to_string(), "Healthy");
    let refused = HealthStatus::parse("Suspended").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "unknown health status \"Suspended\": use one of healthy, progressing, unknown, missing, degraded"
    );
    assert!(Section::parse("Ready").is_err());
    assert!(Role::parse("Admin").is_err());
    assert!(Decision::parse(" approve").is_err());
    assert_eq!(
        FreezeMode::default(),
        FreezeMode::Wait.min(FreezeMode::Refuse)
    );
}

#[test]
fn roles_grant_what_they_always_did() {
    let granted = |role: Role| {
        Permission::ALL
            .iter()
            .filter(|p| role.grants(**p))
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(granted(Role::Viewer), "read");
    assert_eq!(granted(Role::Operator), "read,edit_roadmap,run_jobs");
    assert_eq!(granted(Role::Approver), "read,approve,read_audit");
    assert_eq!(granted(Role::Admin), words::<Permission>());
}
