//! The trocket smooth-migration task that follows the batches on a TDMQ target: its stage and
//! health check per topic, and the calls that move topics to the next stage or back. Each call
//! hands its answer to a pure function.

use super::api::{Api, ApiError};
use super::field::text;
use crate::gate::{Move, TaskStep};
use crate::model::{Known, MigrationTask, TaskTopic};
use crate::stage::Stage;
use serde_json::{Value, json};

/// The smooth-migration tasks live in the newer product API.
const SERVICE: &str = "trocket";
const VERSION: &str = "2023-03-08";

/// The task's stage and health check for each of these topics.
pub async fn read(api: &Api, task_id: &str, topics: &[String]) -> MigrationTask {
    let listed = api
        .read_all(
            SERVICE,
            VERSION,
            "DescribeMigratingTopicList",
            &json!({ "TaskId": task_id }),
            "MigrateTopics",
        )
        .await;
    migration_task(task_id, topics, &listed)
}

/// The task as DescribeMigratingTopicList (its `MigrateTopics`) shows these topics. A failed
/// answer makes every topic unknown; a topic the task does not hold is unknown too.
pub fn migration_task(
    task_id: &str,
    topics: &[String],
    listed: &Result<Vec<Value>, ApiError>,
) -> MigrationTask {
    let topics = topics.iter().map(|t| {
        let state = match listed {
            Err(e) => Known::unknown(format!("migration task {task_id}: {e}")),
            Ok(list) => match list.iter().find(|v| text(v, "TopicName") == *t) {
                None => Known::unknown(format!("topic {t} is not in migration task {task_id}")),
                // An empty stage would only read as out of step: say what is missing.
                Some(v) if text(v, "MigrationStatus").is_empty() => Known::unknown(format!(
                    "migration task {task_id} gives no MigrationStatus for topic {t}"
                )),
                // A missing HealthCheckPassed reads as not passed: it only closes a gate.
                Some(v) => Known::Known(TaskTopic {
                    stage: text(v, "MigrationStatus"),
                    health_passed: v.get("HealthCheckPassed").and_then(Value::as_bool)
                        == Some(true),
                    health_errors: health_errors(v),
                }),
            },
        };
        (t.clone(), state)
    });
    MigrationTask {
        task_id: task_id.to_string(),
        topics: topics.collect(),
    }
}

/// What a topic's health check found: the list, or the single error of older answers.
pub fn health_errors(v: &Value) -> Vec<String> {
    let list: Vec<String> = v
        .get("HealthCheckErrorList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let single = text(v, "HealthCheckError");
    if list.is_empty() && !single.is_empty() {
        vec![single]
    } else {
        list
    }
}

/// The task (if the plan names one) follows a batch's move of these topics: what it did.
pub async fn follow(
    api: &Api,
    task_id: Option<&str>,
    topics: &[String],
    made: Move,
) -> Result<Option<String>, String> {
    let (Some(task_id), Some((_, to))) = (task_id, made.stages()) else {
        return Ok(None);
    };
    match made.rule().task {
        TaskStep::Holds => return Ok(None),
        TaskStep::Advances => advance(api, task_id, topics, to).await?,
        TaskStep::Rewinds => roll_back(api, task_id, topics).await?,
    }
    Ok(Some(moved(task_id, topics, to)))
}

/// Moves the topics to the task's next stage, `to`, in one call.
pub async fn advance(api: &Api, task_id: &str, topics: &[String], to: Stage) -> Result<(), String> {
    let answer = api
        .write(
            SERVICE,
            VERSION,
            "ChangeMigratingTopicToNextStage",
            &json!({ "TaskId": task_id, "TopicNameList": topics, "NamespaceList": [] }),
        )
        .await
        .map_err(|e| e.to_string())?;
    advanced(task_id, &answer, to)
}

/// Whether a ChangeMigratingTopicToNextStage answer moved every topic: the call succeeds even
/// when some topics did not move, and only their `Results` entry says so.
pub fn advanced(task_id: &str, answer: &Value, to: Stage) -> Result<(), String> {
    let failed: Vec<String> = answer
        .get("Results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| x.get("Success").and_then(Value::as_bool) != Some(true))
        .map(|x| text(x, "TopicName"))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "migration task {task_id} did not move {} to {}",
            failed.join(", "),
            to.task_code()
        ))
    }
}

/// Moves each topic back one stage: the action takes one topic, so one call each, stopping at the
/// first failure. Its answer holds nothing to check.
pub async fn roll_back(api: &Api, task_id: &str, topics: &[String]) -> Result<(), String> {
    for topic in topics {
        api.write(
            SERVICE,
            VERSION,
            "RollbackMigratingTopicStage",
            &json!({ "TaskId": task_id, "TopicName": topic, "Namespace": "" }),
        )
        .await
        .map_err(|e| format!("{topic}: {e}"))?;
    }
    Ok(())
}

/// What the task did, for the operator.
pub fn moved(task_id: &str, topics: &[String], to: Stage) -> String {
    format!(
        "migration task {task_id}: {} now at {}",
        topics.join(", "),
        to.task_code()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const LIST: &str =
        include_str!("../../../tests/fixtures/tdmq/DescribeMigratingTopicList.response.json");
    const NEXT: &str =
        include_str!("../../../tests/fixtures/tdmq/ChangeMigratingTopicToNextStage.response.json");
    const TASK: &str = "02f6c31a-9707-4244-8dd3-35ad868ef92a";

    /// A fixture's `Response`, as `Api` hands it over (the trocket examples carry extra
    /// top-level keys next to it).
    fn response(body: &str) -> Value {
        serde_json::from_str::<Value>(body).unwrap()["Response"].clone()
    }

    fn topics(names: &[&str]) -> Vec<String> {
        names.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn the_example_list_gives_each_topic_its_stage_and_health() {
        let listed = Ok(response(LIST)["MigrateTopics"].as_array().unwrap().clone());
        let task = migration_task(TASK, &topics(&["topic-a", "topic-b"]), &listed);
        assert_eq!(
            task,
            MigrationTask {
                task_id: TASK.into(),
                topics: BTreeMap::from([
                    (
                        "topic-a".to_string(),
                        Known::Known(TaskTopic {
                            stage: "S_RW_D_NA".into(),
                            health_passed: true,
                            health_errors: vec![],
                        })
                    ),
                    (
                        "topic-b".to_string(),
                        Known::unknown(format!("topic topic-b is not in migration task {TASK}"))
                    ),
                ]),
            }
        );
    }

    #[test]
    fn a_failed_list_makes_every_topic_unknown_with_the_reason() {
        let listed = Err(ApiError::Service {
            action: "DescribeMigratingTopicList".into(),
            code: "ResourceNotFound.MigrationTask".into(),
            message: "task not found".into(),
            request_id: "r-1".into(),
            hint: "check migration_task_id".into(),
        });
        let task = migration_task("T1", &topics(&["a", "b"]), &listed);
        let why = "migration task T1: DescribeMigratingTopicList failed with ResourceNotFound.MigrationTask: task not found. check migration_task_id (RequestId r-1)";
        assert_eq!(
            task.topics,
            BTreeMap::from([
                ("a".to_string(), Known::unknown(why)),
                ("b".to_string(), Known::unknown(why)),
            ])
        );
    }

    #[test]
    fn a_failed_health_check_lists_what_it_found() {
        let listed = Ok(vec![
            json!({ "TopicName": "a", "MigrationStatus": "S_RW_D_R", "HealthCheckPassed": false,
                    "HealthCheckError": "Unknown",
                    "HealthCheckErrorList": ["SourceTopicHasUnconsumedMessages", 7, "ConsumerGroupCountNotMatch"] }),
            json!({ "TopicName": "b", "MigrationStatus": "S_RW_D_RW",
                    "HealthCheckError": "TopicNotExistsInTargetCluster", "HealthCheckErrorList": null }),
            json!({ "TopicName": "c" }),
        ]);
        let task = migration_task("T1", &topics(&["a", "b", "c"]), &listed);
        assert_eq!(
            task.topics["a"],
            Known::Known(TaskTopic {
                stage: "S_RW_D_R".into(),
                health_passed: false,
                // The list wins over the single error; entries that are not text are left out.
                health_errors: vec![
                    "SourceTopicHasUnconsumedMessages".into(),
                    "ConsumerGroupCountNotMatch".into(),
                ],
            })
        );
        assert_eq!(
            task.topics["b"],
            Known::Known(TaskTopic {
                stage: "S_RW_D_RW".into(),
                // Passed only when the answer says so.
                health_passed: false,
                health_errors: vec!["TopicNotExistsInTargetCluster".into()],
            })
        );
        // No stage: unknown, not an empty stage that reads as out of step.
        assert_eq!(
            task.topics["c"],
            Known::unknown("migration task T1 gives no MigrationStatus for topic c")
        );
    }

    #[test]
    fn the_first_entry_of_a_topic_listed_twice_counts() {
        let listed = Ok(vec![
            json!({ "TopicName": "a", "MigrationStatus": "S_RW_D_R", "HealthCheckPassed": true }),
            json!({ "TopicName": "a", "MigrationStatus": "S_NA_D_RW", "HealthCheckPassed": true }),
        ]);
        let task = migration_task("T1", &topics(&["a"]), &listed);
        assert_eq!(
            task.topics["a"].known().map(|t| t.stage.as_str()),
            Some("S_RW_D_R")
        );
    }

    #[test]
    fn an_advance_fails_when_any_topic_did_not_move() {
        assert_eq!(advanced(TASK, &response(NEXT), Stage::DoubleRead), Ok(()));
        let answer = json!({ "Results": [
            { "TopicName": "a", "Success": true },
            { "TopicName": "b", "Success": false },
            { "TopicName": "c" },
        ]});
        assert_eq!(
            advanced("T1", &answer, Stage::DoubleRead),
            Err("migration task T1 did not move b, c to S_RW_D_R".into())
        );
        // The task's last stage stands for the wizard's "done".
        assert_eq!(
            advanced("T1", &answer, Stage::Done),
            Err("migration task T1 did not move b, c to S_NA_D_RW".into())
        );
        // As today: an answer without results counts as moved.
        assert_eq!(
            advanced("T1", &json!({ "RequestId": "r" }), Stage::DoubleRead),
            Ok(())
        );
    }

    #[test]
    fn a_move_says_where_the_topics_are_now() {
        assert_eq!(
            moved("T1", &topics(&["a", "b"]), Stage::Draining),
            "migration task T1: a, b now at S_R_D_RW"
        );
        assert_eq!(
            moved("T1", &topics(&["a"]), Stage::Done),
            "migration task T1: a now at S_NA_D_RW"
        );
    }
}
