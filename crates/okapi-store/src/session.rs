//! A transaction bound to one workspace: every statement filters on, or
//! writes, that workspace's id, so no call made through a session can see
//! or change another workspace's rows. Nothing is kept unless
//! [`Session::commit`] is called; dropping a session rolls it back.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use okapi_core::okr::{
    CycleState, KrKind, ObjectiveState, OkrRuleError, check_alignment, check_cycle_dates,
    check_cycle_transition, check_objective_transition,
};
use okapi_core::scoring::{flagged_at_close, grade_band, objective_score};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::StoreError;
use crate::model::{
    CheckIn, ClosedKr, ClosedObjective, Cycle, KeyResult, NewCheckIn, Objective, Team, User,
    Workspace,
};

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            what: format!("time `{s}`"),
            reason: e.to_string(),
        })
}

fn parse_date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt {
        what: format!("date `{s}`"),
        reason: e.to_string(),
    })
}

fn word<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|reason| StoreError::Corrupt {
        what: "value".into(),
        reason,
    })
}

fn opt_word<T: std::str::FromStr<Err = String>>(
    s: Option<String>,
) -> Result<Option<T>, StoreError> {
    s.map(|s| word(&s)).transpose()
}

fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|v| v != 0)
}

/// Keys are typed by people and appear in paths and URLs: letters, digits,
/// `-`, `_` and `.`, at most 64 characters.
pub fn check_key(kind: &str, key: &str) -> Result<(), StoreError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{kind} key `{key}` must be 1–64 letters, digits, `-`, `_` or `.`"
        )))
    }
}

fn not_found(kind: &'static str, key: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        key: key.to_string(),
    }
}

/// The largest weight a key result may have.
pub const MAX_WEIGHT: f64 = 1000.0;

const OBJECTIVE_COLS: &str = "key, cycle_key, title, why, level, team_key, owner_key, parent_key, committed, state, final_score, grade, flagged, version";
const KR_COLS: &str = "key, objective_key, title, kind, kpi_id, segment, grain, baseline, target, above, unit, due_date, weight, kr_type, funnel, is_leading, maturity, why, owner_key, final_score, grade, reflection, version";

fn cycle_from_row(r: &AnyRow) -> Result<Cycle, StoreError> {
    Ok(Cycle {
        key: r.try_get("key")?,
        name: r.try_get("name")?,
        start: parse_date(&r.try_get::<String, _>("start_date")?)?,
        end: parse_date(&r.try_get::<String, _>("end_date")?)?,
        state: word(&r.try_get::<String, _>("state")?)?,
        version: r.try_get("version")?,
    })
}

fn objective_from_row(r: &AnyRow) -> Result<Objective, StoreError> {
    Ok(Objective {
        key: r.try_get("key")?,
        cycle: r.try_get("cycle_key")?,
        title: r.try_get("title")?,
        why: r.try_get("why")?,
        level: word(&r.try_get::<String, _>("level")?)?,
        team: r.try_get("team_key")?,
        owner: r.try_get("owner_key")?,
        parent: r.try_get("parent_key")?,
        committed: r.try_get::<i64, _>("committed")? != 0,
        state: word(&r.try_get::<String, _>("state")?)?,
        final_score: r.try_get("final_score")?,
        grade: opt_word(r.try_get("grade")?)?,
        flagged: r.try_get::<i64, _>("flagged")? != 0,
        version: r.try_get("version")?,
    })
}

fn kr_from_row(r: &AnyRow) -> Result<KeyResult, StoreError> {
    Ok(KeyResult {
        key: r.try_get("key")?,
        objective: r.try_get("objective_key")?,
        title: r.try_get("title")?,
        kind: word(&r.try_get::<String, _>("kind")?)?,
        kpi: r.try_get("kpi_id")?,
        segment: r.try_get("segment")?,
        grain: r.try_get("grain")?,
        baseline: r.try_get("baseline")?,
        target: r.try_get("target")?,
        above: flag(r.try_get("above")?),
        unit: r.try_get("unit")?,
        due: r
            .try_get::<Option<String>, _>("due_date")?
            .map(|s| parse_date(&s))
            .transpose()?,
        weight: r.try_get("weight")?,
        kr_type: opt_word(r.try_get("kr_type")?)?,
        funnel: opt_word(r.try_get("funnel")?)?,
        leading: flag(r.try_get("is_leading")?),
        maturity: opt_word(r.try_get("maturity")?)?,
        why: r.try_get("why")?,
        owner: r.try_get("owner_key")?,
        final_score: r.try_get("final_score")?,
        grade: opt_word(r.try_get("grade")?)?,
        reflection: r.try_get("reflection")?,
        version: r.try_get("version")?,
    })
}

fn checkin_from_row(r: &AnyRow) -> Result<CheckIn, StoreError> {
    Ok(CheckIn {
        seq: r.try_get("seq")?,
        kr: r.try_get("kr_key")?,
        at: parse_time(&r.try_get::<String, _>("at")?)?,
        value: r.try_get("value")?,
        confidence: word(&r.try_get::<String, _>("confidence")?)?,
        note: r.try_get("note")?,
        author: r.try_get("author_key")?,
        source: word(&r.try_get::<String, _>("source")?)?,
    })
}

fn b(v: bool) -> i64 {
    i64::from(v)
}

/// A transaction over one workspace's rows.
pub struct Session {
    pub(crate) tx: Transaction<'static, Any>,
    ws: Workspace,
}

impl Session {
    pub(crate) fn new(tx: Transaction<'static, Any>, ws: Workspace) -> Self {
        Session { tx, ws }
    }

    /// Keeps everything done in this session.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// The workspace this session is bound to.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    fn id(&self) -> String {
        self.ws.id.clone()
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
    /// sessions that number things wait for each other here.
    async fn lock_workspace(&mut self) -> Result<(), StoreError> {
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

    pub async fn teams(&mut self) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, name, mission FROM teams WHERE workspace_id = $1 ORDER BY key",
        )
        .bind(self.id())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Team {
                    key: r.try_get("key")?,
                    name: r.try_get("name")?,
                    mission: r.try_get("mission")?,
                })
            })
            .collect()
    }

    async fn exists(&mut self, table: Table, key: &str) -> Result<bool, StoreError> {
        let sql = match table {
            Table::Teams => "SELECT COUNT(*) FROM teams WHERE workspace_id = $1 AND key = $2",
            Table::Users => "SELECT COUNT(*) FROM users WHERE workspace_id = $1 AND key = $2",
            Table::Cycles => "SELECT COUNT(*) FROM cycles WHERE workspace_id = $1 AND key = $2",
            Table::Objectives => {
                "SELECT COUNT(*) FROM objectives WHERE workspace_id = $1 AND key = $2"
            }
            Table::KeyResults => {
                "SELECT COUNT(*) FROM key_results WHERE workspace_id = $1 AND key = $2"
            }
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(self.id())
            .bind(key)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(n > 0)
    }

    async fn require(&mut self, table: Table, key: Option<&str>) -> Result<(), StoreError> {
        if let Some(key) = key
            && !self.exists(table, key).await?
        {
            return Err(not_found(table.kind(), key));
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

    pub async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, name, email, role, team_key FROM users WHERE workspace_id = $1 ORDER BY key",
        )
        .bind(self.id())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(User {
                    key: r.try_get("key")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    role: r.try_get("role")?,
                    team: r.try_get("team_key")?,
                })
            })
            .collect()
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

    pub async fn cycle(&mut self, key: &str) -> Result<Cycle, StoreError> {
        let row = sqlx::query(
            "SELECT key, name, start_date, end_date, state, version FROM cycles WHERE workspace_id = $1 AND key = $2",
        )
        .bind(self.id())
        .bind(key)
        .fetch_optional(&mut *self.tx)
        .await?;
        match row {
            Some(r) => cycle_from_row(&r),
            None => Err(not_found("cycle", key)),
        }
    }

    /// Cycles, newest start first.
    pub async fn cycles(&mut self) -> Result<Vec<Cycle>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, name, start_date, end_date, state, version FROM cycles WHERE workspace_id = $1 ORDER BY start_date DESC, key",
        )
        .bind(self.id())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(cycle_from_row).collect()
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
        let cycle = self.cycle(key).await?;
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
            .bind(score)
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

    async fn open_cycle(&mut self, key: &str) -> Result<Cycle, StoreError> {
        let c = self.cycle(key).await?;
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
        let lead = format!("{prefix}-");
        let max = keys
            .iter()
            .filter_map(|k| k.strip_prefix(&lead)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        Ok(format!("{prefix}-{}", max + 1))
    }

    async fn alignment_map(
        &mut self,
    ) -> Result<HashMap<String, (String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, cycle_key, parent_key FROM objectives WHERE workspace_id = $1",
        )
        .bind(self.id())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("key")?,
                    (r.try_get("cycle_key")?, r.try_get("parent_key")?),
                ))
            })
            .collect()
    }

    async fn check_objective_refs(&mut self, o: &Objective) -> Result<(), StoreError> {
        self.open_cycle(&o.cycle).await?;
        self.require(Table::Teams, o.team.as_deref()).await?;
        self.require(Table::Users, o.owner.as_deref()).await?;
        if let Some(parent) = &o.parent {
            let map = self.alignment_map().await?;
            check_alignment(&o.key, &o.cycle, parent, &map)?;
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
        .bind(o.final_score)
        .bind(o.grade.map(|g| g.as_str()))
        .bind(b(o.flagged))
        .bind(o.version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn objective(&mut self, key: &str) -> Result<Objective, StoreError> {
        let sql =
            format!("SELECT {OBJECTIVE_COLS} FROM objectives WHERE workspace_id = $1 AND key = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(r) => objective_from_row(&r),
            None => Err(not_found("objective", key)),
        }
    }

    /// Objectives of one cycle, or of all, in key order.
    pub async fn objectives(&mut self, cycle: Option<&str>) -> Result<Vec<Objective>, StoreError> {
        let sql = format!(
            "SELECT {OBJECTIVE_COLS} FROM objectives WHERE workspace_id = $1 AND ($2 = '' OR cycle_key = $2) ORDER BY cycle_key, key"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(cycle.unwrap_or("").to_string())
            .fetch_all(&mut *self.tx)
            .await?;
        let mut out: Vec<Objective> = rows
            .iter()
            .map(objective_from_row)
            .collect::<Result<_, _>>()?;
        out.sort_by_key(|o| natural_key(&o.key));
        Ok(out)
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
        .bind(kr.baseline)
        .bind(kr.target)
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
        .bind(kr.final_score)
        .bind(kr.grade.map(|g| g.as_str()))
        .bind(&kr.reflection)
        .bind(kr.version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn key_result(&mut self, key: &str) -> Result<KeyResult, StoreError> {
        let sql = format!("SELECT {KR_COLS} FROM key_results WHERE workspace_id = $1 AND key = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(r) => kr_from_row(&r),
            None => Err(not_found("key result", key)),
        }
    }

    /// Key results of one cycle's objectives, or of all, in key order.
    pub async fn key_results(&mut self, cycle: Option<&str>) -> Result<Vec<KeyResult>, StoreError> {
        let cols = KR_COLS
            .split(", ")
            .map(|c| format!("k.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM key_results k JOIN objectives o ON o.workspace_id = k.workspace_id AND o.key = k.objective_key WHERE k.workspace_id = $1 AND ($2 = '' OR o.cycle_key = $2)"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(cycle.unwrap_or("").to_string())
            .fetch_all(&mut *self.tx)
            .await?;
        let mut out: Vec<KeyResult> = rows.iter().map(kr_from_row).collect::<Result<_, _>>()?;
        out.sort_by_key(|o| natural_key(&o.key));
        Ok(out)
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
        .bind(kr.baseline)
        .bind(kr.target)
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
        // Numbering check-ins takes the workspace's row lock first, so that
        // concurrent check-ins (PostgreSQL) wait for each other instead of
        // taking the same number; SQLite writers are already serialized.
        self.lock_workspace().await?;
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM checkins WHERE workspace_id = $1")
                .bind(self.id())
                .fetch_one(&mut *self.tx)
                .await?;
        let checkin = CheckIn {
            seq: seq.unwrap_or(0) + 1,
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
        .bind(c.value)
        .bind(c.confidence.as_str())
        .bind(&c.note)
        .bind(&c.author)
        .bind(c.source.as_str())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Check-ins of one KR, or of every KR of one cycle, or all; oldest
    /// first.
    pub async fn checkins(
        &mut self,
        kr: Option<&str>,
        cycle: Option<&str>,
    ) -> Result<Vec<CheckIn>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.seq, c.kr_key, c.at, c.value, c.confidence, c.note, c.author_key, c.source FROM checkins c JOIN key_results k ON k.workspace_id = c.workspace_id AND k.key = c.kr_key JOIN objectives o ON o.workspace_id = k.workspace_id AND o.key = k.objective_key WHERE c.workspace_id = $1 AND ($2 = '' OR c.kr_key = $2) AND ($3 = '' OR o.cycle_key = $3) ORDER BY c.at, c.seq",
        )
        .bind(self.id())
        .bind(kr.unwrap_or("").to_string())
        .bind(cycle.unwrap_or("").to_string())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(checkin_from_row).collect()
    }

    /// The checked-in values of every KR of a cycle, oldest first.
    pub async fn values_by_kr(
        &mut self,
        cycle: &str,
    ) -> Result<HashMap<String, Vec<f64>>, StoreError> {
        let mut out: HashMap<String, Vec<f64>> = HashMap::new();
        for c in self.checkins(None, Some(cycle)).await? {
            if let Some(v) = c.value {
                out.entry(c.kr).or_default().push(v);
            }
        }
        Ok(out)
    }
}

/// Orders `O-2` before `O-10`.
fn natural_key(k: &str) -> (String, u64) {
    match k.rsplit_once('-') {
        Some((head, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
            (head.to_string(), n.parse().unwrap_or(u64::MAX))
        }
        _ => (k.to_string(), 0),
    }
}

#[derive(Clone, Copy)]
enum Table {
    Teams,
    Users,
    Cycles,
    Objectives,
    KeyResults,
}

impl Table {
    fn kind(self) -> &'static str {
        match self {
            Table::Teams => "team",
            Table::Users => "user",
            Table::Cycles => "cycle",
            Table::Objectives => "objective",
            Table::KeyResults => "key result",
        }
    }
}
