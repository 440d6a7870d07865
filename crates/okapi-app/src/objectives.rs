//! Objectives: adding, changing and deleting them (and deleting a key
//! result that has no history).
//!
//! A change carries the version its author saw when given: a change made
//! since is a conflict, not overwritten.

use okapi_core::okr::ObjectiveState;
use okapi_core::review::Level;
use okapi_store::{Objective, StoreError};
use serde::Serialize;

use crate::error::AppError;
use crate::workspace::Workspace;

/// The fields of an objective to set; `None` leaves a field as it is, and
/// an empty team, owner or parent clears it.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveFields {
    pub title: Option<String>,
    pub why: Option<String>,
    pub level: Option<Level>,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub parent: Option<String>,
    pub committed: Option<bool>,
}

impl ObjectiveFields {
    fn apply(&self, o: &mut Objective) {
        if let Some(t) = &self.title {
            o.title = t.clone();
        }
        if let Some(w) = &self.why {
            o.why = Some(w.clone());
        }
        if let Some(l) = self.level {
            o.level = l;
        }
        let set = |field: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v {
                *field = (!v.is_empty()).then(|| v.clone());
            }
        };
        set(&mut o.team, &self.team);
        set(&mut o.owner, &self.owner);
        set(&mut o.parent, &self.parent);
        if let Some(c) = self.committed {
            o.committed = c;
        }
    }
}

/// An objective's level when none is given: a team's when it names a
/// team, a person's when it names only an owner, a team's when aligned
/// under another objective with no owner named, else the company's.
pub fn default_level(team: Option<&str>, owner: Option<&str>, parent: Option<&str>) -> Level {
    match (team, owner, parent) {
        (Some(_), _, _) => Level::Team,
        (None, Some(_), _) => Level::Person,
        (None, None, Some(_)) => Level::Team,
        (None, None, None) => Level::Company,
    }
}

/// Adds a draft objective to `cycle`, keyed `key` or the next `O-n`.
pub async fn add(
    ws: &Workspace,
    cycle: &str,
    key: Option<String>,
    fields: ObjectiveFields,
) -> Result<Objective, AppError> {
    let title = fields
        .title
        .clone()
        .ok_or_else(|| AppError::input("title", "is needed: an objective says what it wants"))?;
    let mut s = ws.session().await?;
    let key = match key {
        Some(k) => k,
        None => s.next_key("O").await?,
    };
    let mut o = Objective::draft(
        &key,
        cycle,
        &title,
        default_level(
            fields.team.as_deref(),
            fields.owner.as_deref(),
            fields.parent.as_deref(),
        ),
    );
    fields.apply(&mut o);
    let o = s.create_objective(&o).await?;
    s.commit().await?;
    Ok(o)
}

/// A change of an objective.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveChange {
    pub key: String,
    pub fields: ObjectiveFields,
    pub state: Option<ObjectiveState>,
    /// The version the change was made on.
    pub if_version: Option<i64>,
}

pub async fn change(ws: &Workspace, change: ObjectiveChange) -> Result<Objective, AppError> {
    let mut s = ws.session().await?;
    let mut o = s.objective(&change.key).await?;
    if let Some(v) = change.if_version {
        // Saving with the version the caller saw makes a change made since
        // a conflict.
        o.version = v;
    }
    change.fields.apply(&mut o);
    if let Some(st) = change.state {
        o.state = st;
    }
    let o = s.save_objective(&o).await?;
    s.commit().await?;
    Ok(o)
}

/// What [`delete`] removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deleted {
    pub deleted: String,
    /// `objective` or `key result`.
    pub kind: &'static str,
}

/// Deletes a mistake that has no history: a key result without check-ins,
/// or a draft objective with nothing aligned under it and no key result
/// checked in (the store enforces both).
pub async fn delete(ws: &Workspace, key: &str) -> Result<Deleted, AppError> {
    let mut s = ws.session().await?;
    let kind = match s.objective(key).await {
        Ok(_) => {
            s.delete_objective(key).await?;
            "objective"
        }
        Err(StoreError::NotFound { .. }) => {
            s.delete_key_result(key).await.map_err(|e| match e {
                StoreError::NotFound { .. } => AppError::Missing(format!(
                    "there is no objective or key result `{key}` in this workspace"
                )),
                e => e.into(),
            })?;
            "key result"
        }
        Err(e) => return Err(e.into()),
    };
    s.commit().await?;
    Ok(Deleted {
        deleted: key.to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_follows_what_the_objective_names() {
        assert_eq!(
            default_level(Some("growth"), Some("ana"), None),
            Level::Team
        );
        assert_eq!(default_level(None, Some("ana"), Some("O-1")), Level::Person);
        assert_eq!(default_level(None, None, Some("O-1")), Level::Team);
        assert_eq!(default_level(None, None, None), Level::Company);
    }
}
