//! The health area's words: a status in Argo CD's vocabulary and the parts a
//! service's status is made of.

use crate::{word_enum, word_traits};

word_enum! {
    /// One health status, in Argo CD's vocabulary (minus Suspended: nothing
    /// Gantry watches is paused on purpose).
    ///
    /// Variants are declared from best to worst, so `Ord` is badness and the
    /// worst-of rule is `max`:
    ///
    /// **Healthy < Progressing < Unknown < Missing < Degraded**
    ///
    /// Argo CD orders Healthy, Suspended, Progressing, Missing, Degraded,
    /// Unknown. Gantry keeps Argo's order for everything it knows and moves
    /// Unknown between Progressing and Missing:
    /// - Unknown is worse than Healthy and Progressing: a source that could
    ///   not be read is a blind spot, and a green page with a blind spot lies
    ///   to the person on call.
    /// - Unknown is better than Missing and Degraded: those are facts someone
    ///   can act on now ("0/3 tasks running"), while an Unknown is usually
    ///   throttling or a missing IAM permission. Ranked worst, as in Argo, one
    ///   throttled CloudWatch call would hide a confirmed outage behind "AWS
    ///   throttled the request".
    /// - Missing stays below Degraded, as in Argo: a missing service is
    ///   usually one not provisioned yet (a new preview environment); a
    ///   degraded one is a running service that fails.
    pub enum HealthStatus {
        Healthy,
        Progressing,
        Unknown,
        Missing,
        Degraded,
    }
}
// Any case: "Healthy", "healthy"; `Display` is the label.
word_traits!(HealthStatus, "health status", loose, own_display);

impl HealthStatus {
    /// Human label, as Argo CD writes it: "Healthy".
    pub fn label(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Unknown => "Unknown",
            HealthStatus::Missing => "Missing",
            HealthStatus::Degraded => "Degraded",
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

word_enum! {
    /// What a service's status is made of; one part each, in the order the
    /// parts are listed, most fundamental first.
    pub enum Component {
        /// The ECS service and its deployments.
        Ecs,
        /// The ALB target group the service registers into.
        Targets,
        /// The CloudWatch alarms attached to the service.
        Alarms,
        /// Gantry's HTTP probe of the service's health endpoint.
        Probe,
    }
}
word_traits!(Component, "health component", loose);

impl Component {
    /// "Load balancer targets"
    pub fn label(self) -> &'static str {
        match self {
            Component::Ecs => "ECS service",
            Component::Targets => "Load balancer targets",
            Component::Alarms => "CloudWatch alarms",
            Component::Probe => "Health probe",
        }
    }
}
