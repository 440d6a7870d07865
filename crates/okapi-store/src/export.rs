//! The whole workspace as one JSON document, and back.
//!
//! An import checks the whole document first (see [`crate::document`]),
//! then writes everything in one transaction: a document with an error,
//! or a process killed half-way, leaves the database as it was.

use chrono::{DateTime, Utc};

use crate::alignment::parents_first;
use crate::error::StoreError;
use crate::model::{ExportDocument, Workspace};
use crate::reader::Reader;
use crate::session::Session;
use crate::store::{Store, insert_workspace};

impl Reader {
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

impl Store {
    /// Restores a workspace from a document into this database. The
    /// workspace must not exist yet. `progress(done, total)` is called after
    /// each row; everything is one transaction.
    pub async fn import(
        &self,
        doc: &ExportDocument,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Workspace, StoreError> {
        crate::document::validate(doc)?;
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
        let notice = self.commit_notice(0);
        let mut s = Session::new(
            Reader::new(tx, doc.workspace.clone(), self.backend()),
            notice,
        );
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
        for o in parents_first(&doc.objectives, |o| o.key.as_str(), |o| o.parent.as_deref())? {
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
