//! A transaction bound to one workspace that reads and writes: every
//! statement filters on, or writes, that workspace's id, so no call made
//! through a session can see or change another workspace's rows. Nothing
//! is kept unless [`Session::commit`] is called; dropping a session rolls
//! it back. The reads are [`Reader`]'s, which a session derefs to.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

use chrono::NaiveDate;
use okapi_core::okr::{
    CycleState, KrKind, ObjectiveState, OkrRuleError, check_alignment, check_cycle_dates,
    check_cycle_transition, check_objective_transition,
};
use okapi_core::scoring::{flagged_at_close, grade_band, objective_score};

use crate::alignment::check_depth;
use crate::bind::Number;
use crate::error::StoreError;
use crate::keys::{check_key, next_numbered};
use crate::model::{
    CheckIn, ClosedKr, ClosedObjective, Cycle, KeyResult, NewCheckIn, Objective, Team, User,
};
use crate::reader::{Reader, Table, fmt_time};
use crate::store::{Backend, CommitNotice};

/// The largest weight a key result may have.
pub const MAX_WEIGHT: f64 = 1000.0;

fn b(v: bool) -> i64 {
    i64::from(v)
}

/// A transaction over one workspace's rows that may write.
pub struct Session {
    reader: Reader,
    notice: CommitNotice,
}

impl Deref for Session {
    type Target = Reader;
    fn deref(&self) -> &Reader {
        &self.reader
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Reader {
        &mut self.reader
    }
}

impl Session {
    pub(crate) fn new(reader: Reader, notice: CommitNotice) -> Self {
        Session { reader, notice }
    }

    /// Keeps everything done in this session.
    pub async fn commit(self) -> Result<(), StoreError> {
        let id = self.reader.ws.id.clone();
        self.reader.tx.commit().await?;
        self.notice.committed(&id);
        Ok(())
    }

    // ---- workspace -------------------------------------------------------

    /// Sets (or clears) the vision statement.
    pub async fn set_vision(&mut self, vision: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET vision = $1, version = version + 1 WHERE id = $2")
            .bind(vision.map(str::to_string))
            .bind(self.id())
            .execute(&mut *self.tx)
            .await?;
        self.ws.vision = vision.map(str::to_string);
        Ok(())
    }

    /// Locks the workspace's row until the session ends (a no-op write):
    /// sessions that number things, or need a cycle open, wait for each
    /// other here. The first lock a session takes.
    pub async fn lock_workspace(&mut self) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET version = version + 1 WHERE id = $1")
            .bind(self.id())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    // ---- teams and users -------------------------------------------------

    /// Creates a team, or updates its name and mission.
    pub async fn put_team(&mut self, team: &Team) -> Result<(), StoreError> {
        check_key("team", &team.key)?;
        let n = sqlx::query(
            "UPDATE teams SET name = $1, mission = $2, version = version + 1 WHERE workspace_id = $3 AND key = $4",
        )
        .bind(&team.name)
        .bind(&team.mission)
        .bind(self.id())
        .bind(&team.key)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            sqlx::query(
                "INSERT INTO teams (workspace_id, key, name, mission) VALUES ($1, $2, $3, $4)",
            )
            .bind(self.id())
            .bind(&team.key)
            .bind(&team.name)
            .bind(&team.mission)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Creates a user, or updates one.
    pub async fn put_user(&mut self, user: &User) -> Result<(), StoreError> {
        check_key("user", &user.key)?;
        self.require(Table::Teams, user.team.as_deref()).await?;
        let n = sqlx::query(
            "UPDATE users SET name = $1, email = $2, role = $3, team_key = $4 WHERE workspace_id = $5 AND key = $6",
        )
        .bind(&user.name)
        .bind(&user.email)
        .bind(&user.role)
        .bind(&user.team)
        .bind(self.id())
        .bind(&user.key)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            sqlx::query(
                "INSERT INTO users (workspace_id, key, name, email, role, team_key) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(self.id())
            .bind(&user.key)
            .bind(&user.name)
            .bind(&user.email)
            .bind(&user.role)
            .bind(&user.team)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    // ---- cycles ----------------------------------------------------------

    /// Creates a cycle in `planning`.
    pub async fn create_cycle(
        &mut self,
        key: &str,
        name: &str,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Cycle, StoreError> {
        check_key("cycle", key)?;
        check_cycle_dates(start, end)?;
        if self.exists(Table::Cycles, key).await? {
            return Err(StoreError::Duplicate {
                kind: "cycle",
                key: key.to_string(),
            });
        }
        let cycle = Cycle {
            key: key.to_string(),
            name: name.to_string(),
            start,
            end,
            state: CycleState::Planning,
            version: 1,
        };
        self.insert_cycle(&cycle).await?;
        Ok(cycle)
    }

    pub(crate) async fn insert_cycle(&mut self, c: &Cycle) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cycles (workspace_id, key, name, start_date, end_date, state, version) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.id())
        .bind(&c.key)
        .bind(&c.name)
        .bind(c.start.to_string())
        .bind(c.end.to_string())
        .bind(c.state.as_str())
        .bind(c.version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Updates a cycle's name and dates (not once closed), refusing a stale
    /// version.
    pub async fn save_cycle(&mut self, c: &Cycle) -> Result<Cycle, StoreError> {
        check_cycle_dates(c.start, c.end)?;
        let current = self.cycle(&c.key).await?;
        if current.state == CycleState::Closed {
            return Err(OkrRuleError::ClosedCycle.into());
        }
        if current.state != c.state {
            check_cycle_transition(current.state, c.state)?;
        }
        let n = sqlx::query(
            "UPDATE cycles SET name = $1, start_date = $2, end_date = $3, state = $4, version = version + 1 WHERE workspace_id = $5 AND key = $6 AND version = $7",
        )
        .bind(&c.name)
        .bind(c.start.to_string())
        .bind(c.end.to_string())
        .bind(c.state.as_str())
        .bind(self.id())
        .bind(&c.key)
        .bind(c.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict {
                kind: "cycle",
                key: c.key.clone(),
                expected: c.version,
                actual: current.version,
            });
        }
        self.cycle(&c.key).await
    }

    /// Moves a cycle from `planning` to `active`; its draft and in-review
    /// objectives stay as they are.
    pub async fn activate_cycle(&mut self, key: &str) -> Result<Cycle, StoreError> {
        let mut c = self.cycle(key).await?;
        check_cycle_transition(c.state, CycleState::Active)?;
        c.state = CycleState::Active;
        self.save_cycle(&c).await
    }

    /// Closes an active cycle: every KR gets its final score (from its
    /// check-ins) and grade, and the reflection given for it if any; every
    /// objective its weighted score, grade and flag, and the state closed.
    pub async fn close_cycle(
        &mut self,
        key: &str,
        reflections: &BTreeMap<String, String>,
    ) -> Result<Vec<ClosedObjective>, StoreError> {
        // Under the locks a check-in takes: one waiting on them lands
        // before the final scores and counts, or after and is refused.
        self.lock_workspace().await?;
        let cycle = self.lock_cycle(key).await?;
        check_cycle_transition(cycle.state, CycleState::Closed)?;
        let objectives = self.objectives(Some(key)).await?;
        let krs = self.key_results(Some(key)).await?;
        for k in reflections.keys() {
            if !krs.iter().any(|kr| &kr.key == k) {
                return Err(StoreError::Invalid(format!(
                    "reflection for `{k}`: there is no key result `{k}` in cycle `{key}`"
                )));
            }
        }
        let values = self.values_by_kr(key).await?;
        let mut out = Vec::new();
        for o in &objectives {
            let mut scored = Vec::new();
            let mut closed_krs = Vec::new();
            for kr in krs.iter().filter(|kr| kr.objective == o.key) {
                let vals = values.get(&kr.key).map(Vec::as_slice).unwrap_or(&[]);
                let score = kr.score(vals).map_err(|error| StoreError::Score {
                    key: kr.key.clone(),
                    error,
                })?;
                let grade = grade_band(score);
                let reflection = reflections.get(&kr.key).cloned().or(kr.reflection.clone());
                sqlx::query(
                    "UPDATE key_results SET final_score = $1, grade = $2, reflection = $3, version = version + 1 WHERE workspace_id = $4 AND key = $5",
                )
                .bind(score)
                .bind(grade.as_str())
                .bind(&reflection)
                .bind(self.id())
                .bind(&kr.key)
                .execute(&mut *self.tx)
                .await?;
                scored.push((score, kr.weight));
                closed_krs.push(ClosedKr {
                    key: kr.key.clone(),
                    title: kr.title.clone(),
                    score,
                    grade,
                    reflection,
                });
            }
            let score = objective_score(&scored).map_err(|error| StoreError::Score {
                key: o.key.clone(),
                error,
            })?;
            let grade = score.map(grade_band);
            let flagged = score.is_some_and(|s| flagged_at_close(o.committed, s));
            sqlx::query(
                "UPDATE objectives SET final_score = $1, grade = $2, flagged = $3, state = $4, version = version + 1 WHERE workspace_id = $5 AND key = $6",
            )
            .bind(Number(score))
            .bind(grade.map(|g| g.as_str()))
            .bind(b(flagged))
            .bind(ObjectiveState::Closed.as_str())
            .bind(self.id())
            .bind(&o.key)
            .execute(&mut *self.tx)
            .await?;
            out.push(ClosedObjective {
                key: o.key.clone(),
                title: o.title.clone(),
                committed: o.committed,
                score,
                grade,
                flagged,
                krs: closed_krs,
            });
        }
        sqlx::query(
            "UPDATE cycles SET state = $1, version = version + 1 WHERE workspace_id = $2 AND key = $3",
        )
        .bind(CycleState::Closed.as_str())
        .bind(self.id())
        .bind(key)
        .execute(&mut *self.tx)
        .await?;
        Ok(out)
    }

    /// Locks the cycle's row until the session ends and reads it as it
    /// is now. On PostgreSQL `SELECT … FOR UPDATE` waits for a session
    /// holding the row (a close, a check-in) and then reads what it
    /// committed; on SQLite the session already holds the database's write
    /// lock. Always after [`Session::lock_workspace`], so that sessions
    /// take their locks in one order and never deadlock.
    async fn lock_cycle(&mut self, key: &str) -> Result<Cycle, StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT key FROM cycles WHERE workspace_id = $1 AND key = $2 FOR UPDATE")
                .bind(self.id())
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?;
        }
        self.cycle(key).await
    }

    /// The cycle, locked (workspace row, then cycle row) and checked open
    /// under the locks: a write that needs an open cycle cannot interleave
    /// with its close.
    async fn open_cycle(&mut self, key: &str) -> Result<Cycle, StoreError> {
        self.lock_workspace().await?;
        let c = self.lock_cycle(key).await?;
        if c.state == CycleState::Closed {
            return Err(OkrRuleError::ClosedCycle.into());
        }
        Ok(c)
    }

    // ---- objectives ------------------------------------------------------

    /// The next free generated key with `prefix` (`O-4` after `O-3`).
    /// Takes the workspace's row lock until the session ends, so that two
    /// sessions generating keys at once get different ones.
    pub async fn next_key(&mut self, prefix: &str) -> Result<String, StoreError> {
        self.lock_workspace().await?;
        let sql = if prefix == "KR" {
            "SELECT key FROM key_results WHERE workspace_id = $1"
        } else {
            "SELECT key FROM objectives WHERE workspace_id = $1"
        };
        let keys: Vec<String> = sqlx::query_scalar(sql)
            .bind(self.id())
            .fetch_all(&mut *self.tx)
            .await?;
        next_numbered(prefix, keys.iter().map(String::as_str))
    }

    async fn check_objective_refs(&mut self, o: &Objective) -> Result<(), StoreError> {
        self.open_cycle(&o.cycle).await?;
        self.require(Table::Teams, o.team.as_deref()).await?;
        self.require(Table::Users, o.owner.as_deref()).await?;
        if let Some(parent) = &o.parent {
            let map = self.alignment_map().await?;
            check_alignment(&o.key, &o.cycle, parent, &map)?;
            let parents = map.into_iter().map(|(k, (_, p))| (k, p)).collect();
            check_depth(&o.key, parent, &parents)?;
        }
        Ok(())
    }

    /// Creates an objective (its `version` is ignored and starts at 1).
    pub async fn create_objective(&mut self, o: &Objective) -> Result<Objective, StoreError> {
        check_key("objective", &o.key)?;
        if o.title.trim().is_empty() {
            return Err(StoreError::Invalid("an objective needs a title".into()));
        }
        if self.exists(Table::Objectives, &o.key).await? {
            return Err(StoreError::Duplicate {
                kind: "objective",
                key: o.key.clone(),
            });
        }
        self.check_objective_refs(o).await?;
        let mut o = o.clone();
        o.version = 1;
        self.insert_objective(&o).await?;
        Ok(o)
    }

    pub(crate) async fn insert_objective(&mut self, o: &Objective) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO objectives (workspace_id, key, cycle_key, title, why, level, team_key, owner_key, parent_key, committed, state, final_score, grade, flagged, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(self.id())
        .bind(&o.key)
        .bind(&o.cycle)
        .bind(&o.title)
        .bind(&o.why)
        .bind(o.level.as_str())
        .bind(&o.team)
        .bind(&o.owner)
        .bind(&o.parent)
        .bind(b(o.committed))
        .bind(o.state.as_str())
        .bind(Number(o.final_score))
        .bind(o.grade.map(|g| g.as_str()))
        .bind(b(o.flagged))
        .bind(o.version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Saves an objective read earlier: refused with a conflict if it was
    /// changed since (its `version` is no longer the stored one). Returns
    /// the saved objective with its new version.
    pub async fn save_objective(&mut self, o: &Objective) -> Result<Objective, StoreError> {
        let current = self.objective(&o.key).await?;
        if current.version != o.version {
            return Err(StoreError::Conflict {
                kind: "objective",
                key: o.key.clone(),
                expected: o.version,
                actual: current.version,
            });
        }
        if current.cycle != o.cycle {
            return Err(StoreError::Invalid(format!(
                "objective `{}` cannot move from cycle `{}` to `{}`",
                o.key, current.cycle, o.cycle
            )));
        }
        if current.state != o.state {
            check_objective_transition(current.state, o.state)?;
        }
        self.check_objective_refs(o).await?;
        let n = sqlx::query(
            "UPDATE objectives SET title = $1, why = $2, level = $3, team_key = $4, owner_key = $5, parent_key = $6, committed = $7, state = $8, version = version + 1 WHERE workspace_id = $9 AND key = $10 AND version = $11",
        )
        .bind(&o.title)
        .bind(&o.why)
        .bind(o.level.as_str())
        .bind(&o.team)
        .bind(&o.owner)
        .bind(&o.parent)
        .bind(b(o.committed))
        .bind(o.state.as_str())
        .bind(self.id())
        .bind(&o.key)
        .bind(o.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            // Another writer got in between our read and write.
            let actual = self.objective(&o.key).await?.version;
            return Err(StoreError::Conflict {
                kind: "objective",
                key: o.key.clone(),
                expected: o.version,
                actual,
            });
        }
        self.objective(&o.key).await
    }

    // ---- key results -----------------------------------------------------

    async fn check_kr(&mut self, kr: &KeyResult) -> Result<Cycle, StoreError> {
        if kr.title.trim().is_empty() {
            return Err(StoreError::Invalid(format!(
                "key result `{}` needs a title",
                kr.key
            )));
        }
        kr.measure().map_err(|error| StoreError::Score {
            key: kr.key.clone(),
            error,
        })?;
        // Weights are relative; a bound keeps their sum finite.
        if !(kr.weight > 0.0 && kr.weight <= MAX_WEIGHT) {
            return Err(StoreError::Invalid(format!(
                "key result `{}`: the weight must be a number above 0 and at most {MAX_WEIGHT}, not {}",
                kr.key, kr.weight
            )));
        }
        match (kr.kind, &kr.kpi) {
            (KrKind::Kpi, None) => {
                return Err(StoreError::Invalid(format!(
                    "key result `{}` is KPI-linked but names no KPI",
                    kr.key
                )));
            }
            (KrKind::Kpi, Some(_)) | (_, None) => {}
            (kind, Some(_)) => {
                return Err(StoreError::Invalid(format!(
                    "key result `{}` names a KPI but is of kind {}; use kind kpi",
                    kr.key,
                    kind.as_str()
                )));
            }
        }
        let o = self.objective(&kr.objective).await?;
        self.require(Table::Users, kr.owner.as_deref()).await?;
        self.open_cycle(&o.cycle).await
    }

    /// Creates a key result (its `version` starts at 1).
    pub async fn create_key_result(&mut self, kr: &KeyResult) -> Result<KeyResult, StoreError> {
        check_key("key result", &kr.key)?;
        if self.exists(Table::KeyResults, &kr.key).await? {
            return Err(StoreError::Duplicate {
                kind: "key result",
                key: kr.key.clone(),
            });
        }
        self.check_kr(kr).await?;
        let mut kr = kr.clone();
        kr.version = 1;
        self.insert_key_result(&kr).await?;
        Ok(kr)
    }

    pub(crate) async fn insert_key_result(&mut self, kr: &KeyResult) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO key_results (workspace_id, key, objective_key, title, kind, kpi_id, segment, grain, baseline, target, above, unit, due_date, weight, kr_type, funnel, is_leading, maturity, why, owner_key, final_score, grade, reflection, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
        )
        .bind(self.id())
        .bind(&kr.key)
        .bind(&kr.objective)
        .bind(&kr.title)
        .bind(kr.kind.as_str())
        .bind(&kr.kpi)
        .bind(&kr.segment)
        .bind(&kr.grain)
        .bind(Number(kr.baseline))
        .bind(Number(kr.target))
        .bind(kr.above.map(b))
        .bind(&kr.unit)
        .bind(kr.due.map(|d| d.to_string()))
        .bind(kr.weight)
        .bind(kr.kr_type.map(|t| t.as_str()))
        .bind(kr.funnel.map(|t| t.as_str()))
        .bind(kr.leading.map(b))
        .bind(kr.maturity.map(|t| t.as_str()))
        .bind(&kr.why)
        .bind(&kr.owner)
        .bind(Number(kr.final_score))
        .bind(kr.grade.map(|g| g.as_str()))
        .bind(&kr.reflection)
        .bind(kr.version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Saves a key result read earlier; a stale version is a conflict. Only
    /// the reflection may change once its cycle is closed.
    pub async fn save_key_result(&mut self, kr: &KeyResult) -> Result<KeyResult, StoreError> {
        let current = self.key_result(&kr.key).await?;
        if current.version != kr.version {
            return Err(StoreError::Conflict {
                kind: "key result",
                key: kr.key.clone(),
                expected: kr.version,
                actual: current.version,
            });
        }
        let closed = {
            let o = self.objective(&current.objective).await?;
            self.cycle(&o.cycle).await?.state == CycleState::Closed
        };
        if closed {
            let mut only_reflection = current.clone();
            only_reflection.reflection = kr.reflection.clone();
            if &only_reflection != kr {
                return Err(OkrRuleError::ClosedCycle.into());
            }
        } else {
            self.check_kr(kr).await?;
            let old_o = self.objective(&current.objective).await?;
            let new_o = self.objective(&kr.objective).await?;
            if old_o.cycle != new_o.cycle {
                return Err(StoreError::Invalid(format!(
                    "key result `{}` cannot move to an objective of another cycle",
                    kr.key
                )));
            }
        }
        let n = sqlx::query(
            "UPDATE key_results SET objective_key = $1, title = $2, kind = $3, kpi_id = $4, segment = $5, grain = $6, baseline = $7, target = $8, above = $9, unit = $10, due_date = $11, weight = $12, kr_type = $13, funnel = $14, is_leading = $15, maturity = $16, why = $17, owner_key = $18, reflection = $19, version = version + 1 WHERE workspace_id = $20 AND key = $21 AND version = $22",
        )
        .bind(&kr.objective)
        .bind(&kr.title)
        .bind(kr.kind.as_str())
        .bind(&kr.kpi)
        .bind(&kr.segment)
        .bind(&kr.grain)
        .bind(Number(kr.baseline))
        .bind(Number(kr.target))
        .bind(kr.above.map(b))
        .bind(&kr.unit)
        .bind(kr.due.map(|d| d.to_string()))
        .bind(kr.weight)
        .bind(kr.kr_type.map(|t| t.as_str()))
        .bind(kr.funnel.map(|t| t.as_str()))
        .bind(kr.leading.map(b))
        .bind(kr.maturity.map(|t| t.as_str()))
        .bind(&kr.why)
        .bind(&kr.owner)
        .bind(&kr.reflection)
        .bind(self.id())
        .bind(&kr.key)
        .bind(kr.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            let actual = self.key_result(&kr.key).await?.version;
            return Err(StoreError::Conflict {
                kind: "key result",
                key: kr.key.clone(),
                expected: kr.version,
                actual,
            });
        }
        self.key_result(&kr.key).await
    }

    /// Deletes a key result created by mistake: only while its cycle is
    /// open and before its first check-in, since check-ins are history.
    pub async fn delete_key_result(&mut self, key: &str) -> Result<(), StoreError> {
        let kr = self.key_result(key).await?;
        let o = self.objective(&kr.objective).await?;
        self.open_cycle(&o.cycle).await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM checkins WHERE workspace_id = $1 AND kr_key = $2",
        )
        .bind(self.id())
        .bind(key)
        .fetch_one(&mut *self.tx)
        .await?;
        if n > 0 {
            return Err(StoreError::Invalid(format!(
                "key result `{key}` has {n} check-in(s): check-ins are history, so it cannot be deleted; close its objective instead"
            )));
        }
        sqlx::query("DELETE FROM key_results WHERE workspace_id = $1 AND key = $2")
            .bind(self.id())
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Deletes a draft objective created by mistake, with its key results
    /// (none may have a check-in). An objective others are aligned under
    /// cannot go.
    pub async fn delete_objective(&mut self, key: &str) -> Result<(), StoreError> {
        let o = self.objective(key).await?;
        self.open_cycle(&o.cycle).await?;
        if o.state != ObjectiveState::Draft {
            return Err(StoreError::Invalid(format!(
                "objective `{key}` is {}: only a draft can be deleted; close it instead",
                o.state
            )));
        }
        let children: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM objectives WHERE workspace_id = $1 AND parent_key = $2 ORDER BY key",
        )
        .bind(self.id())
        .bind(key)
        .fetch_all(&mut *self.tx)
        .await?;
        if !children.is_empty() {
            return Err(StoreError::Invalid(format!(
                "objective `{key}` has aligned objectives ({}): move or delete them first",
                children.join(", ")
            )));
        }
        let krs: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM key_results WHERE workspace_id = $1 AND objective_key = $2",
        )
        .bind(self.id())
        .bind(key)
        .fetch_all(&mut *self.tx)
        .await?;
        for kr in krs {
            self.delete_key_result(&kr).await?;
        }
        sqlx::query("DELETE FROM objectives WHERE workspace_id = $1 AND key = $2")
            .bind(self.id())
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    // ---- check-ins -------------------------------------------------------

    /// Appends a check-in. Refused on a closed cycle; a milestone takes 0
    /// or 1.
    pub async fn check_in(&mut self, c: &NewCheckIn) -> Result<CheckIn, StoreError> {
        let kr = self.key_result(&c.kr).await?;
        let o = self.objective(&kr.objective).await?;
        // The cycle's state is read under the workspace's and the cycle's
        // row locks, which its close takes too. The workspace's lock also
        // numbers check-ins: concurrent check-ins (PostgreSQL) wait for
        // each other instead of taking the same number; SQLite writers are
        // serialized already.
        self.open_cycle(&o.cycle).await?;
        self.require(Table::Users, c.author.as_deref()).await?;
        if let Some(v) = c.value {
            if !v.is_finite() {
                return Err(StoreError::Invalid(format!(
                    "check-in on `{}`: the value must be a finite number",
                    c.kr
                )));
            }
            if kr.kind == KrKind::Milestone && v != 0.0 && v != 1.0 {
                return Err(StoreError::Invalid(format!(
                    "check-in on milestone `{}`: the value is 1 (done) or 0 (not done), not {v}",
                    c.kr
                )));
            }
        }
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM checkins WHERE workspace_id = $1")
                .bind(self.id())
                .fetch_one(&mut *self.tx)
                .await?;
        let last = seq.unwrap_or(0);
        let seq = last
            .checked_add(1)
            .ok_or_else(|| StoreError::Invalid(format!("no check-in number left after {last}")))?;
        let checkin = CheckIn {
            seq,
            kr: c.kr.clone(),
            at: c.at,
            value: c.value,
            confidence: c.confidence,
            note: c.note.clone(),
            author: c.author.clone(),
            source: c.source,
        };
        self.insert_checkin(&checkin).await?;
        Ok(checkin)
    }

    pub(crate) async fn insert_checkin(&mut self, c: &CheckIn) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO checkins (workspace_id, seq, kr_key, at, value, confidence, note, author_key, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(self.id())
        .bind(c.seq)
        .bind(&c.kr)
        .bind(fmt_time(c.at))
        .bind(Number(c.value))
        .bind(c.confidence.as_str())
        .bind(&c.note)
        .bind(&c.author)
        .bind(c.source.as_str())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
