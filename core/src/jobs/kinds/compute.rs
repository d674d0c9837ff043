//! The Fargate tasks a plan changes: each service's task count and size
//! before and after it runs. Read once, when planning, so the approval page
//! can price exactly the plan that is approved (`cost::fargate`).
//!
//! Steps that change compute:
//! - `ecs.scale`: the count;
//! - `ecs.delete_service`: to 0;
//! - `ecs.ensure_service` (provision): the template's count and size;
//! - `ecs.point_service` to a named revision (roll back): that revision's size.
//!
//! A deploy registers a revision of the running one with a new image: the
//! size stays. Configure touches no service: no compute change.

use std::collections::HashMap;

use serde_json::Value;

use super::{deploy, provision, scale, teardown};
use crate::aws::{ecs_change, ecs_provision, EnvClients};
use crate::environments::Environment;
use crate::jobs::error::{JobsError, JobsResult};
use crate::jobs::model::{ComputeChange, Footprint, PlanStep, TaskSize};

fn changes_compute(action: &str) -> bool {
    [
        scale::ACTION,
        teardown::DELETE_SERVICE,
        provision::ENSURE_SERVICE,
        deploy::POINT,
    ]
    .contains(&action)
}

fn service_of(step: &PlanStep) -> Option<&str> {
    step.after["service"]
        .as_str()
        .or_else(|| step.before["service"].as_str())
}

/// The services whose tasks `steps` change, in the order they first appear.
pub fn services(steps: &[PlanStep]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for step in steps.iter().filter(|s| changes_compute(&s.action)) {
        if let Some(service) = service_of(step) {
            if !found.iter().any(|f| f == service) {
                found.push(service.to_owned());
            }
        }
    }
    found
}

fn size_of_definition(definition: &Value) -> Option<TaskSize> {
    let number = |v: &Value| v.as_str().and_then(|s| s.trim().parse::<u32>().ok());
    Some(TaskSize {
        cpu: number(&definition["cpu"])?,
        memory_mib: number(&definition["memory"])?,
    })
}

/// What `steps` leave of `before`. `sizes` holds the size of each task
/// definition ARN a step names (read beforehand). Pure.
pub fn after_of(
    before: &[Footprint],
    steps: &[PlanStep],
    sizes: &HashMap<String, TaskSize>,
) -> Vec<Footprint> {
    let mut after = before.to_vec();
    for step in steps.iter().filter(|s| changes_compute(&s.action)) {
        let Some(service) = service_of(step) else {
            continue;
        };
        let index = match after.iter().position(|f| f.service == service) {
            Some(i) => i,
            None => {
                after.push(Footprint {
                    service: service.to_owned(),
                    tasks: 0,
                    size: None,
                });
                after.len() - 1
            }
        };
        let named_size = step.after["task_definition"]
            .as_str()
            .and_then(|arn| sizes.get(arn).copied());
        let entry = &mut after[index];
        match step.action.as_str() {
            scale::ACTION => {
                if let Some(desired) = step.after["desired"].as_i64() {
                    entry.tasks = i32::try_from(desired).unwrap_or(entry.tasks);
                }
            }
            teardown::DELETE_SERVICE => entry.tasks = 0,
            provision::ENSURE_SERVICE => {
                if let Some(desired) = step.after["spec"]["desired"].as_i64() {
                    entry.tasks = i32::try_from(desired).unwrap_or(entry.tasks);
                }
                let registered = step.after["revision_of_step"]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .and_then(|n| steps.get(n.checked_sub(1)?))
                    .and_then(|s| size_of_definition(&s.after["definition"]));
                entry.size = registered.or(named_size).or(entry.size);
            }
            _ => entry.size = named_size.or(entry.size),
        }
    }
    after
}

/// Reads the live tasks of the services `steps` change and what the steps
/// make of them; `None` when they change no service.
pub async fn read(
    aws: &EnvClients,
    env: &Environment,
    steps: &[PlanStep],
) -> JobsResult<Option<ComputeChange>> {
    let services = services(steps);
    if services.is_empty() {
        return Ok(None);
    }
    let cluster = ecs_provision::cluster_exists(&aws.ecs, &env.cluster)
        .await
        .map_err(JobsError::Aws)?;
    let mut sizes: HashMap<String, TaskSize> = HashMap::new();
    let mut before = Vec::with_capacity(services.len());
    for service in services {
        let state = if cluster {
            ecs_change::service_state(&aws.ecs, &env.cluster, &service)
                .await
                .map_err(JobsError::Aws)?
        } else {
            None
        };
        let footprint = match state {
            Some(state) => Footprint {
                service,
                tasks: state.desired,
                size: size(aws, &mut sizes, &state.task_definition).await?,
            },
            None => Footprint {
                service,
                tasks: 0,
                size: None,
            },
        };
        before.push(footprint);
    }
    for step in steps.iter().filter(|s| changes_compute(&s.action)) {
        if let Some(arn) = step.after["task_definition"].as_str() {
            size(aws, &mut sizes, arn).await?;
        }
    }
    let after = after_of(&before, steps, &sizes);
    Ok(Some(ComputeChange { before, after }))
}

async fn size(
    aws: &EnvClients,
    sizes: &mut HashMap<String, TaskSize>,
    task_definition: &str,
) -> JobsResult<Option<TaskSize>> {
    if let Some(known) = sizes.get(task_definition) {
        return Ok(Some(*known));
    }
    let read = ecs_change::task_size(&aws.ecs, task_definition)
        .await
        .map_err(JobsError::Aws)?
        .map(|(cpu, memory_mib)| TaskSize { cpu, memory_mib });
    if let Some(found) = read {
        sizes.insert(task_definition.to_owned(), found);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(action: &str, before: Value, after: Value) -> PlanStep {
        PlanStep {
            name: action.to_owned(),
            action: action.to_owned(),
            before,
            after,
            timeout_secs: None,
        }
    }

    const QUARTER: TaskSize = TaskSize {
        cpu: 256,
        memory_mib: 512,
    };
    const HALF: TaskSize = TaskSize {
        cpu: 512,
        memory_mib: 1024,
    };

    fn api(tasks: i32, size: Option<TaskSize>) -> Footprint {
        Footprint {
            service: "api".into(),
            tasks,
            size,
        }
    }

    #[test]
    fn each_kind_of_step_changes_what_it_says() {
        let sizes = HashMap::from([("arn:td/api:3".to_owned(), HALF)]);
        let before = [api(2, Some(QUARTER))];
        let cases: Vec<(&str, Vec<PlanStep>, Vec<Footprint>)> = vec![
            (
                "scale",
                vec![step(
                    scale::ACTION,
                    json!({"service": "api", "desired": 2}),
                    json!({"service": "api", "desired": 5}),
                )],
                vec![api(5, Some(QUARTER))],
            ),
            (
                "tear down",
                vec![
                    step(
                        scale::ACTION,
                        json!({"service": "api", "desired": 2}),
                        json!({"service": "api", "desired": 0}),
                    ),
                    step(
                        teardown::DELETE_SERVICE,
                        json!({"service": "api"}),
                        json!({"service": "api", "exists": false}),
                    ),
                ],
                vec![api(0, Some(QUARTER))],
            ),
            (
                "deploy: a new image, the same size",
                vec![
                    step(
                        deploy::REGISTER,
                        json!({"service": "api"}),
                        json!({"service": "api", "image": "x:2"}),
                    ),
                    step(
                        deploy::POINT,
                        json!({"service": "api"}),
                        json!({"service": "api", "revision_of_step": 1}),
                    ),
                ],
                vec![api(2, Some(QUARTER))],
            ),
            (
                "roll back to a bigger revision",
                vec![step(
                    deploy::POINT,
                    json!({"service": "api"}),
                    json!({"service": "api", "task_definition": "arn:td/api:3"}),
                )],
                vec![api(2, Some(HALF))],
            ),
            (
                "provision: the template's count and registered size",
                vec![
                    step(
                        provision::REGISTER,
                        json!({}),
                        json!({"definition": {"cpu": "512", "memory": "1024"}}),
                    ),
                    step(
                        provision::ENSURE_SERVICE,
                        json!({"service": "api"}),
                        json!({"service": "api", "revision_of_step": 1, "spec": {"desired": 3}}),
                    ),
                ],
                vec![api(3, Some(HALF))],
            ),
            (
                "configure: nothing",
                vec![step(
                    "ssm.put_parameters",
                    json!({"service": "api"}),
                    json!({"service": "api"}),
                )],
                vec![api(2, Some(QUARTER))],
            ),
        ];
        for (name, steps, expected) in cases {
            assert_eq!(after_of(&before, &steps, &sizes), expected, "{name}");
        }
    }

    #[test]
    fn a_service_the_plan_creates_starts_from_nothing() {
        let steps = vec![step(
            provision::ENSURE_SERVICE,
            json!({"service": "web", "exists": false}),
            json!({"service": "web", "task_definition": "arn:td/web:1", "spec": {"desired": 2}}),
        )];
        let sizes = HashMap::from([("arn:td/web:1".to_owned(), QUARTER)]);
        assert_eq!(services(&steps), vec!["web".to_owned()]);
        assert_eq!(
            after_of(&[], &steps, &sizes),
            vec![Footprint {
                service: "web".into(),
                tasks: 2,
                size: Some(QUARTER)
            }]
        );
    }

    #[test]
    fn steps_that_change_no_service_name_none() {
        let steps = vec![step(
            deploy::WAIT,
            json!({"service": "api"}),
            json!({"service": "api", "rollout": "COMPLETED"}),
        )];
        assert!(services(&steps).is_empty());
    }
}
