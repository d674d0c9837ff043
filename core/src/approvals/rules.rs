//! The approval rules, pure: who may decide a request, what counts, when a
//! request is complete. The store applies them inside the transaction that
//! records a decision, so what they see is what the decision changes.
//!
//! - Only someone with the approver role decides; never the requester (by
//!   subject: a second session or an API token is the same person).
//! - One person decides once per plan; decisions count only for the plan
//!   hash they were made on (a re-planned job needs new ones).
//! - Approver groups: the decider belongs to one of them (when the policy
//!   names any); with `distinct_groups = N`, the approvals must come from at
//!   least N different people covering N different groups of the policy (a
//!   matching: one person in three groups covers one of them).
//! - A request expires `expiry_hours` after it was made; an expired one
//!   cannot be decided nor run.
//! - During a freeze window nothing is approved (an admin may break glass).
//! - A rejection ends the request.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::environments::model::{ApprovalPolicy, FreezeMode};
use crate::jobs::JobState;

/// Longest reason kept with a decision.
pub use crate::shared::MAX_REASON_CHARS;

pub use gantry_wire::Decision;

/// A decision already recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cast {
    pub subject: String,
    pub groups: Vec<String>,
    pub decision: Decision,
    pub plan_hash: String,
}

/// The request as the rules need it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub state: JobState,
    /// `None` for jobs requested before subjects were recorded.
    pub requested_subject: Option<&'a str>,
    pub plan_hash: &'a str,
    pub created_at: DateTime<Utc>,
}

/// Who wants to decide.
#[derive(Debug, Clone)]
pub struct Decider<'a> {
    pub subject: &'a str,
    pub groups: &'a [String],
    /// Holds the approver role (or admin).
    pub can_approve: bool,
}

/// When `request` stops being decidable.
pub fn expires_at(policy: &ApprovalPolicy, created_at: DateTime<Utc>) -> DateTime<Utc> {
    created_at + Duration::hours(i64::from(policy.expiry_hours))
}

/// Whether `decider` belongs to one of the policy's approver groups (any
/// approver when the policy names none).
pub fn eligible(policy: &ApprovalPolicy, groups: &[String]) -> bool {
    policy.approver_groups.is_empty() || groups.iter().any(|g| policy.approver_groups.contains(g))
}

/// The approvals that count for `plan_hash`: one per person.
pub fn counted<'a>(casts: &'a [Cast], plan_hash: &str) -> Vec<&'a Cast> {
    let mut seen = std::collections::BTreeSet::new();
    casts
        .iter()
        .filter(|c| c.plan_hash == plan_hash && c.decision == Decision::Approve)
        .filter(|c| seen.insert(c.subject.as_str()))
        .collect()
}

/// How many of the policy's groups the counted approvals cover, each group
/// by a different person: the size of a largest matching of approvers to
/// groups they belong to. One person in three groups covers one, not three.
pub fn groups_covered(policy: &ApprovalPolicy, approvals: &[&Cast]) -> usize {
    // Kuhn's augmenting paths: `holder[g]` is the approval covering group g.
    fn assign(
        person: usize,
        member: &[Vec<bool>],
        holder: &mut [Option<usize>],
        visited: &mut [bool],
    ) -> bool {
        for group in 0..holder.len() {
            if member[person][group] && !visited[group] {
                visited[group] = true;
                let free = match holder[group] {
                    None => true,
                    Some(other) => assign(other, member, holder, visited),
                };
                if free {
                    holder[group] = Some(person);
                    return true;
                }
            }
        }
        false
    }
    let groups = &policy.approver_groups;
    let member: Vec<Vec<bool>> = approvals
        .iter()
        .map(|c| groups.iter().map(|g| c.groups.contains(g)).collect())
        .collect();
    let mut holder = vec![None; groups.len()];
    (0..approvals.len())
        .filter(|&person| assign(person, &member, &mut holder, &mut vec![false; groups.len()]))
        .count()
}

/// Whether the counted approvals complete the request.
pub fn complete(policy: &ApprovalPolicy, approvals: &[&Cast]) -> bool {
    let enough = approvals.len() >= usize::from(policy.required_approvals);
    let groups = usize::from(policy.distinct_groups) <= groups_covered(policy, approvals)
        || policy.distinct_groups == 0;
    enough && groups
}

/// Decisions made on an earlier plan of the job: void, and said so.
pub fn voided(casts: &[Cast], plan_hash: &str) -> usize {
    casts.iter().filter(|c| c.plan_hash != plan_hash).count()
}

/// Why a decision is refused: not this person's to make, or not now (403);
/// or its input (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed(String),
    BadInput(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotAllowed(m) | Refusal::BadInput(m) => f.write_str(m),
        }
    }
}

/// Refuses `decision` by `decider` on `request`, with the reason to show;
/// `Ok` when it may be recorded.
pub fn check(
    policy: &ApprovalPolicy,
    request: &Request<'_>,
    casts: &[Cast],
    decider: &Decider<'_>,
    decision: Decision,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if !decider.can_approve {
        return Err(Refusal::NotAllowed(
            "deciding on production changes needs the approver role".into(),
        ));
    }
    if request.state != JobState::AwaitingApproval {
        return Err(Refusal::NotAllowed(format!(
            "this request is {}: there is nothing to decide",
            request.state
        )));
    }
    let expiry = expires_at(policy, request.created_at);
    if now >= expiry {
        return Err(Refusal::NotAllowed(format!(
            "this request expired at {}: ask for the change again",
            expiry.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    if request.requested_subject == Some(decider.subject) {
        return Err(Refusal::NotAllowed(
            "you requested this change: someone else must decide on it".into(),
        ));
    }
    if !eligible(policy, decider.groups) {
        return Err(Refusal::NotAllowed(format!(
            "deciding on this environment needs membership in one of: {}",
            policy.approver_groups.join(", ")
        )));
    }
    if casts
        .iter()
        .any(|c| c.subject == decider.subject && c.plan_hash == request.plan_hash)
    {
        return Err(Refusal::NotAllowed(
            "you decided on this request already".into(),
        ));
    }
    let reason = reason.trim();
    if policy.reason_required && reason.is_empty() {
        return Err(Refusal::BadInput(format!(
            "a reason is required to {} this change",
            decision.as_str()
        )));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(Refusal::BadInput(format!(
            "the reason is longer than {MAX_REASON_CHARS} characters"
        )));
    }
    if decision == Decision::Approve && policy.freeze_mode == FreezeMode::Refuse {
        if let Some(frozen) = policy.freeze_at(now) {
            return Err(Refusal::NotAllowed(format!(
                "changes are frozen until {} ({}): only an admin's break-glass can run it now",
                frozen.until.format("%Y-%m-%d %H:%M UTC"),
                frozen.reason
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::model::FreezeWindow;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn policy(required: u8, groups: &[&str], distinct: u8) -> ApprovalPolicy {
        ApprovalPolicy {
            required_approvals: required,
            approver_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            distinct_groups: distinct,
            expiry_hours: 24,
            reason_required: true,
            freeze_windows: vec![FreezeWindow {
                starts_at: at("2026-12-24T00:00:00Z"),
                ends_at: at("2026-12-27T00:00:00Z"),
                reason: "Holidays".into(),
            }],
            weekly_freezes: Vec::new(),
            time_zone: "UTC".into(),
            freeze_mode: FreezeMode::Refuse,
        }
    }

    /// Weekends frozen in Berlin (summer time ends on 2026-10-25).
    fn weekend(mode: FreezeMode) -> ApprovalPolicy {
        ApprovalPolicy {
            weekly_freezes: vec![crate::environments::model::WeeklyFreeze {
                from: crate::environments::model::WeekTime::parse("fri 15:00").unwrap(),
                to: crate::environments::model::WeekTime::parse("mon 08:00").unwrap(),
                reason: "weekend".into(),
            }],
            time_zone: "Europe/Berlin".into(),
            freeze_mode: mode,
            ..policy(2, &["sre", "dba"], 0)
        }
    }

    const HASH: &str = "a";

    fn request(state: JobState) -> Request<'static> {
        Request {
            state,
            requested_subject: Some("oscar"),
            plan_hash: HASH,
            created_at: at("2026-12-01T09:00:00Z"),
        }
    }

    fn cast(subject: &str, groups: &[&str], decision: Decision, hash: &str) -> Cast {
        Cast {
            subject: subject.into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            decision,
            plan_hash: hash.into(),
        }
    }

    /// (case, policy, request, casts, decider, decision, reason, now,
    /// expected refusal)
    type Case<'a> = (
        &'a str,
        ApprovalPolicy,
        Request<'a>,
        Vec<Cast>,
        Decider<'a>,
        Decision,
        &'a str,
        DateTime<Utc>,
        Option<&'a str>,
    );

    #[test]
    fn who_may_decide_table() {
        let sre = vec!["sre".to_owned()];
        let sales = vec!["sales".to_owned()];
        let noon = at("2026-12-01T12:00:00Z");
        let p = policy(2, &["sre", "dba"], 0);
        let april_before = [cast("april", &["sre"], Decision::Approve, HASH)];
        let cases: Vec<Case> = vec![
            (
                "an eligible approver",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "looks right",
                noon,
                None,
            ),
            (
                "the requester",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "oscar",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "mine",
                noon,
                Some("you requested this change"),
            ),
            (
                "the requester rejecting",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "oscar",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Reject,
                "mine",
                noon,
                Some("you requested this change"),
            ),
            (
                "no approver role",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "vera",
                    groups: &sre,
                    can_approve: false,
                },
                Decision::Approve,
                "ok",
                noon,
                Some("needs the approver role"),
            ),
            (
                "wrong group",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "sam",
                    groups: &sales,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                noon,
                Some("membership in one of: sre, dba"),
            ),
            (
                "the same person twice",
                p.clone(),
                request(JobState::AwaitingApproval),
                april_before.to_vec(),
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "again",
                noon,
                Some("decided on this request already"),
            ),
            (
                "the same person after a re-plan",
                p.clone(),
                Request {
                    plan_hash: "b",
                    ..request(JobState::AwaitingApproval)
                },
                april_before.to_vec(),
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "new plan",
                noon,
                None,
            ),
            (
                "no reason",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Reject,
                "  ",
                noon,
                Some("a reason is required to reject"),
            ),
            (
                "expired",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-12-02T09:00:00Z"),
                Some("expired at 2026-12-02 09:00 UTC"),
            ),
            (
                "just before expiry",
                p.clone(),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-12-02T08:59:59Z"),
                None,
            ),
            (
                "decided already (queued)",
                p.clone(),
                request(JobState::Queued),
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                noon,
                Some("this request is queued"),
            ),
            (
                "rejected already (cancelled)",
                p.clone(),
                request(JobState::Cancelled),
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                noon,
                Some("this request is cancelled"),
            ),
            (
                "in a freeze",
                p.clone(),
                Request {
                    created_at: at("2026-12-24T08:00:00Z"),
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-12-24T09:00:00Z"),
                Some("frozen until 2026-12-27 00:00 UTC (Holidays)"),
            ),
            (
                "a rejection in a freeze",
                p.clone(),
                Request {
                    created_at: at("2026-12-24T08:00:00Z"),
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Reject,
                "not now",
                at("2026-12-24T09:00:00Z"),
                None,
            ),
            (
                "in a weekly freeze, summer time",
                weekend(FreezeMode::Refuse),
                Request {
                    created_at: at("2026-10-23T09:00:00Z"),
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-10-23T13:30:00Z"),
                Some("frozen until 2026-10-26 07:00 UTC (weekend)"),
            ),
            (
                "before a weekly freeze, winter time (14:30 local)",
                weekend(FreezeMode::Refuse),
                Request {
                    created_at: at("2026-10-30T09:00:00Z"),
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-10-30T13:30:00Z"),
                None,
            ),
            (
                "in a weekly freeze, winter time (15:30 local)",
                weekend(FreezeMode::Refuse),
                Request {
                    created_at: at("2026-10-30T09:00:00Z"),
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-10-30T14:30:00Z"),
                Some("frozen until 2026-11-02 07:00 UTC"),
            ),
            (
                "in a weekly freeze that waits",
                weekend(FreezeMode::Wait),
                Request {
                    created_at: at("2026-10-30T09:00:00Z"),
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "april",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                at("2026-10-30T14:30:00Z"),
                None,
            ),
            (
                "any approver when no groups",
                policy(1, &[], 0),
                request(JobState::AwaitingApproval),
                vec![],
                Decider {
                    subject: "sam",
                    groups: &sales,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                noon,
                None,
            ),
            (
                "an old job without a subject",
                p.clone(),
                Request {
                    requested_subject: None,
                    ..request(JobState::AwaitingApproval)
                },
                vec![],
                Decider {
                    subject: "oscar",
                    groups: &sre,
                    can_approve: true,
                },
                Decision::Approve,
                "ok",
                noon,
                None,
            ),
        ];
        for (name, policy, request, casts, decider, decision, reason, now, expected) in cases {
            let got = check(&policy, &request, &casts, &decider, decision, reason, now);
            match expected {
                None => assert_eq!(got, Ok(()), "{name}"),
                Some(fragment) => {
                    let message = got.expect_err(name).to_string();
                    assert!(message.contains(fragment), "{name}: {message}");
                }
            }
        }
    }

    #[test]
    fn what_counts_and_completes() {
        let p = policy(2, &["sre", "dba"], 0);
        let casts = vec![
            cast("april", &["sre"], Decision::Approve, HASH),
            cast("april", &["sre"], Decision::Approve, HASH),
            cast("bob", &["sre"], Decision::Approve, "old"),
        ];
        assert_eq!(
            counted(&casts, HASH).len(),
            1,
            "one person counts once; old plans do not count"
        );
        assert!(!complete(&p, &counted(&casts, HASH)));
        assert_eq!(voided(&casts, HASH), 1);
        let two = vec![
            cast("april", &["sre"], Decision::Approve, HASH),
            cast("bob", &["sre"], Decision::Approve, HASH),
        ];
        assert!(complete(&p, &counted(&two, HASH)));
        // From 2 distinct groups: two SREs are not enough, an SRE and a DBA are.
        let distinct = policy(2, &["sre", "dba"], 2);
        assert!(!complete(&distinct, &counted(&two, HASH)));
        let mixed = vec![
            cast("april", &["sre"], Decision::Approve, HASH),
            cast("dora", &["dba"], Decision::Approve, HASH),
        ];
        assert!(complete(&distinct, &counted(&mixed, HASH)));
        // A rejection never counts as an approval.
        let rejected = vec![cast("april", &["sre"], Decision::Reject, HASH)];
        assert!(counted(&rejected, HASH).is_empty());
    }

    /// (case, required approvals, distinct groups, approvals as (person,
    /// their groups), groups covered, complete)
    type GroupCase<'a> = (&'a str, u8, u8, &'a [(&'a str, &'a [&'a str])], usize, bool);

    #[test]
    fn distinct_groups_are_covered_by_distinct_people() {
        let cases: &[GroupCase] = &[
            (
                "one person in all three groups covers one",
                1,
                3,
                &[("april", &["sre", "dba", "sec"])],
                1,
                false,
            ),
            (
                "one person in three groups and a second in one of them",
                2,
                3,
                &[("april", &["sre", "dba", "sec"]), ("bob", &["sre"])],
                2,
                false,
            ),
            (
                "three people, each placed in a different group",
                3,
                3,
                &[
                    ("april", &["sre", "dba", "sec"]),
                    ("bob", &["sre"]),
                    ("dora", &["dba"]),
                ],
                3,
                true,
            ),
            (
                "the first fit must give way (an augmenting path)",
                2,
                2,
                &[("april", &["sre", "dba"]), ("bob", &["sre"])],
                2,
                true,
            ),
            (
                "two people in the same single group",
                2,
                2,
                &[("april", &["sre"]), ("bob", &["sre"])],
                1,
                false,
            ),
            (
                "groups outside the policy cover nothing",
                2,
                2,
                &[("april", &["sales", "sre"]), ("bob", &["sales"])],
                1,
                false,
            ),
        ];
        for (case, required, distinct, people, covered, done) in cases {
            let p = policy(*required, &["sre", "dba", "sec"], *distinct);
            let casts: Vec<Cast> = people
                .iter()
                .map(|(who, groups)| cast(who, groups, Decision::Approve, HASH))
                .collect();
            let counted = counted(&casts, HASH);
            assert_eq!(groups_covered(&p, &counted), *covered, "{case}");
            assert_eq!(complete(&p, &counted), *done, "{case}");
        }
    }
}
