//! The reading half of a session: a transaction bound to one workspace,
//! every query filtered on that workspace's id. [`Reader`] holds the
//! reads; a [`crate::Session`] adds the writes, and a [`ReadSession`] is a
//! reader alone, for commands that only look.
//!
//! A read session never takes SQLite's write lock (it starts with a plain,
//! deferred `BEGIN`, and in WAL mode reads while a writer writes), and on
//! PostgreSQL it is `REPEATABLE READ READ ONLY`: everything it reads comes
//! from one snapshot, so an export or a report never mixes rows from
//! before and after another command's commit.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::StoreError;
use crate::keys::{check_key, natural_key};
use crate::model::{CheckIn, Cycle, KeyResult, Objective, Team, User, Workspace};
use crate::store::Backend;

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

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt {
        what: format!("date `{s}`"),
        reason: e.to_string(),
    })
}

pub(crate) fn word<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|reason| StoreError::Corrupt {
        what: "value".into(),
        reason,
    })
}

pub(crate) fn opt_word<T: std::str::FromStr<Err = String>>(
    s: Option<String>,
) -> Result<Option<T>, StoreError> {
    s.map(|s| word(&s)).transpose()
}

pub(crate) fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|v| v != 0)
}

pub(crate) fn not_found(kind: &'static str, key: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        key: key.to_string(),
    }
}

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

/// Reads of one workspace's rows inside one transaction.
pub struct Reader {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) ws: Workspace,
    pub(crate) backend: Backend,
}

impl Reader {
    pub(crate) fn new(tx: Transaction<'static, Any>, ws: Workspace, backend: Backend) -> Self {
        Reader { tx, ws, backend }
    }

    /// The workspace this session is bound to.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    pub(crate) fn id(&self) -> String {
        self.ws.id.clone()
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

    pub(crate) async fn exists(&mut self, table: Table, key: &str) -> Result<bool, StoreError> {
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

    pub(crate) async fn require(
        &mut self,
        table: Table,
        key: Option<&str>,
    ) -> Result<(), StoreError> {
        if let Some(key) = key
            && !self.exists(table, key).await?
        {
            return Err(not_found(table.kind(), key));
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

    pub async fn cycle(&mut self, key: &str) -> Result<Cycle, StoreError> {
        check_key("cycle", key)?;
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

    pub(crate) async fn alignment_map(
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

    pub async fn objective(&mut self, key: &str) -> Result<Objective, StoreError> {
        check_key("objective", key)?;
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

    pub async fn key_result(&mut self, key: &str) -> Result<KeyResult, StoreError> {
        check_key("key result", key)?;
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

/// A session that only reads: one snapshot of the workspace, no write
/// lock (see the module's documentation).
pub struct ReadSession {
    reader: Reader,
}

impl ReadSession {
    pub(crate) fn new(reader: Reader) -> Self {
        ReadSession { reader }
    }

    /// Ends the read transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.reader.tx.commit().await?;
        Ok(())
    }
}

impl Deref for ReadSession {
    type Target = Reader;
    fn deref(&self) -> &Reader {
        &self.reader
    }
}

impl DerefMut for ReadSession {
    fn deref_mut(&mut self) -> &mut Reader {
        &mut self.reader
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Table {
    Teams,
    Users,
    Cycles,
    Objectives,
    KeyResults,
}

impl Table {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Table::Teams => "team",
            Table::Users => "user",
            Table::Cycles => "cycle",
            Table::Objectives => "objective",
            Table::KeyResults => "key result",
        }
    }
}
