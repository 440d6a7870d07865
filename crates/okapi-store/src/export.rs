//! The whole workspace as one JSON document, and back.
//!
//! An import writes everything in one transaction: a document with an
//! error, or a process killed half-way, leaves the database as it was.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use okapi_core::okr::check_cycle_dates;

use crate::error::StoreError;
use crate::model::{ExportDocument, Objective, Workspace};
use crate::session::{Session, check_key};
use crate::store::{Store, insert_workspace};

impl Session {
    /// Everything the workspace holds. `settings` is the workspace file's
    /// text, carried along so that custom KPIs travel with the OKRs.
    pub async fn export(
        &mut self,
        settings: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ExportDocument, StoreError> {
        Ok(ExportDocument {
            format: ExportDocument::FORMAT.to_string(),
            format_version: ExportDocument::FORMAT_VERSION,
            exported_at: now,
            workspace: self.workspace().clone(),
            settings,
            teams: self.teams().await?,
            users: self.users().await?,
            cycles: {
                let mut c = self.cycles().await?;
                c.sort_by(|a, b| a.start.cmp(&b.start).then(a.key.cmp(&b.key)));
                c
            },
            objectives: self.objectives(None).await?,
            key_results: self.key_results(None).await?,
            checkins: self.checkins(None, None).await?,
        })
    }
}

/// Checks a document before anything is written: its format, unique keys,
/// and that every reference points inside the document.
pub fn validate(doc: &ExportDocument) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    if doc.format != ExportDocument::FORMAT {
        errors.push(format!(
            "format is `{}`, expected `{}`",
            doc.format,
            ExportDocument::FORMAT
        ));
    }
    if doc.format_version != ExportDocument::FORMAT_VERSION {
        errors.push(format!(
            "format_version is {}, this okapi reads {}",
            doc.format_version,
            ExportDocument::FORMAT_VERSION
        ));
    }
    let mut keys = |kind: &str, list: Vec<&str>| -> HashSet<String> {
        let mut seen = HashSet::new();
        for k in list {
            if let Err(e) = check_key(kind, k) {
                errors.push(e.to_string());
            }
            if !seen.insert(k.to_string()) {
                errors.push(format!("{kind} `{k}` appears twice"));
            }
        }
        seen
    };
    let teams = keys("team", doc.teams.iter().map(|t| t.key.as_str()).collect());
    let users = keys("user", doc.users.iter().map(|u| u.key.as_str()).collect());
    let cycles = keys("cycle", doc.cycles.iter().map(|c| c.key.as_str()).collect());
    let objectives = keys(
        "objective",
        doc.objectives.iter().map(|o| o.key.as_str()).collect(),
    );
    let krs = keys(
        "key result",
        doc.key_results.iter().map(|k| k.key.as_str()).collect(),
    );
    let mut refers = |what: String, set: &HashSet<String>, kind: &str, key: &Option<String>| {
        if let Some(k) = key
            && !set.contains(k)
        {
            errors.push(format!(
                "{what} refers to {kind} `{k}`, which the document lacks"
            ));
        }
    };
    for u in &doc.users {
        refers(format!("user `{}`", u.key), &teams, "team", &u.team);
    }
    for o in &doc.objectives {
        let what = format!("objective `{}`", o.key);
        refers(what.clone(), &cycles, "cycle", &Some(o.cycle.clone()));
        refers(what.clone(), &teams, "team", &o.team);
        refers(what.clone(), &users, "user", &o.owner);
        refers(what, &objectives, "objective", &o.parent);
    }
    for k in &doc.key_results {
        let what = format!("key result `{}`", k.key);
        refers(
            what.clone(),
            &objectives,
            "objective",
            &Some(k.objective.clone()),
        );
        refers(what, &users, "user", &k.owner);
    }
    for c in &doc.checkins {
        let what = format!("check-in {}", c.seq);
        refers(what.clone(), &krs, "key result", &Some(c.kr.clone()));
        refers(what, &users, "user", &c.author);
    }
    let mut seqs = HashSet::new();
    for c in &doc.checkins {
        if !seqs.insert(c.seq) {
            errors.push(format!("check-in {} appears twice", c.seq));
        }
    }
    for c in &doc.cycles {
        if let Err(e) = check_cycle_dates(c.start, c.end) {
            errors.push(format!("cycle `{}`: {e}", c.key));
        }
    }
    for k in &doc.key_results {
        if let Err(e) = k.measure() {
            errors.push(format!("key result `{}`: {e}", k.key));
        }
    }
    if let Err(e) = parents_first(&doc.objectives) {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "the document cannot be imported:\n  - {}",
            errors.join("\n  - ")
        )))
    }
}

/// Objectives ordered so that every parent comes before its children.
fn parents_first(objectives: &[Objective]) -> Result<Vec<&Objective>, String> {
    let by_key: HashMap<&str, &Objective> =
        objectives.iter().map(|o| (o.key.as_str(), o)).collect();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(objectives.len());
    for o in objectives {
        let mut chain = vec![o];
        let mut cur = o;
        while let Some(p) = cur.parent.as_deref() {
            if placed.contains(p) {
                break;
            }
            let Some(parent) = by_key.get(p) else { break };
            if chain.iter().any(|c| c.key == parent.key) {
                return Err(format!("objective `{}` is aligned in a loop", o.key));
            }
            chain.push(parent);
            cur = parent;
        }
        for c in chain.into_iter().rev() {
            if placed.insert(c.key.as_str()) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

impl Store {
    /// Restores a workspace from a document into this database. The
    /// workspace must not exist yet. `progress(done, total)` is called after
    /// each row; everything is one transaction.
    pub async fn import(
        &self,
        doc: &ExportDocument,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Workspace, StoreError> {
        validate(doc)?;
        let mut tx = self.begin().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE id = $1")
            .bind(&doc.workspace.id)
            .fetch_one(&mut *tx)
            .await?;
        if exists > 0 {
            return Err(StoreError::Duplicate {
                kind: "workspace",
                key: doc.workspace.id.clone(),
            });
        }
        insert_workspace(&mut tx, &doc.workspace).await?;
        let mut s = Session::new(tx, doc.workspace.clone());
        let total = doc.teams.len()
            + doc.users.len()
            + doc.cycles.len()
            + doc.objectives.len()
            + doc.key_results.len()
            + doc.checkins.len();
        let mut done = 0;
        let mut tick = |done: &mut usize| {
            *done += 1;
            progress(*done, total);
        };
        for t in &doc.teams {
            s.put_team(t).await?;
            tick(&mut done);
        }
        for u in &doc.users {
            s.put_user(u).await?;
            tick(&mut done);
        }
        for c in &doc.cycles {
            s.insert_cycle(c).await?;
            tick(&mut done);
        }
        for o in parents_first(&doc.objectives).map_err(StoreError::Invalid)? {
            s.insert_objective(o).await?;
            tick(&mut done);
        }
        for k in &doc.key_results {
            s.insert_key_result(k).await?;
            tick(&mut done);
        }
        for c in &doc.checkins {
            s.insert_checkin(c).await?;
            tick(&mut done);
        }
        let ws = s.workspace().clone();
        s.commit().await?;
        Ok(ws)
    }
}
