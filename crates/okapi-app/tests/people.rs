//! Setting up a workspace and its people through the application layer,
//! on the embedded database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use okapi_app::people::{self, TeamChange, UserChange};
use okapi_app::workspace::{self, InitRequest, Workspace};
use okapi_app::{Code, Location};
use okapi_core::settings::Profile;

fn at(dir: &std::path::Path) -> Location {
    Location {
        dir: dir.to_path_buf(),
        config: None,
        database_url: None,
    }
}

async fn new_workspace(dir: &std::path::Path) -> Workspace {
    let done = workspace::init(InitRequest {
        dir: dir.to_path_buf(),
        database_url: None,
        profile: Profile::B2c,
        name: Some("Acme Analytics".into()),
        id: None,
    })
    .await
    .unwrap();
    assert_eq!(done.id, "acme-analytics");
    assert_eq!(done.data, dir.join("data"));
    assert!(
        done.migrations_applied
            .contains(&okapi_store::SCHEMA_VERSION)
    );
    Workspace::open(&at(dir)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_workspace_has_its_settings_its_data_dir_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let ws = new_workspace(dir.path()).await;
    assert_eq!(ws.id, "acme-analytics");
    assert_eq!(ws.settings.profile, Profile::B2c);
    assert_eq!(ws.data_dir().unwrap(), dir.path().join("data"));
    assert!(ws.data_dir().unwrap().is_dir());
    assert_eq!(people::vision(&ws).await.unwrap(), None);
    assert!(people::teams(&ws).await.unwrap().is_empty());

    // A second init changes nothing.
    let again = workspace::init(InitRequest {
        dir: dir.path().to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: None,
        id: None,
    })
    .await
    .unwrap_err();
    assert_eq!(again.code(), Code::Conflict);
    assert!(
        again
            .to_string()
            .contains("is already workspace `acme-analytics`"),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_and_users_are_saved_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let ws = new_workspace(dir.path()).await;
    people::set_vision(&ws, "Every SaaS team runs on numbers it trusts".into())
        .await
        .unwrap();
    assert_eq!(
        people::vision(&ws).await.unwrap().as_deref(),
        Some("Every SaaS team runs on numbers it trusts")
    );

    // A new team without a name is named by its key; a later change of the
    // mission keeps the name.
    let t = people::save_team(
        &ws,
        TeamChange {
            key: "growth".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(t.name, "growth");
    let t = people::save_team(
        &ws,
        TeamChange {
            key: "growth".into(),
            name: Some("Growth".into()),
            mission: None,
        },
    )
    .await
    .unwrap();
    let t = people::save_team(
        &ws,
        TeamChange {
            key: t.key,
            name: None,
            mission: Some("More trials that stay".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (t.name.as_str(), t.mission.as_deref()),
        ("Growth", Some("More trials that stay"))
    );

    people::save_user(
        &ws,
        UserChange {
            key: "ana".into(),
            name: Some("Ana Lima".into()),
            team: Some("growth".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let u = people::save_user(
        &ws,
        UserChange {
            key: "ana".into(),
            role: Some("lead".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (u.name.as_str(), u.team.as_deref(), u.role.as_deref()),
        ("Ana Lima", Some("growth"), Some("lead"))
    );
    people::save_user(
        &ws,
        UserChange {
            key: "bo".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let teams = people::teams(&ws).await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].members, ["ana"]);
    let users = people::users(&ws).await.unwrap();
    let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Ana Lima", "bo"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_without_a_workspace_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let e = Workspace::open(&at(dir.path())).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.to_string().contains("is not an okapi workspace"), "{e}");

    // Settings without a database.
    std::fs::write(
        dir.path().join("okapi.toml"),
        "[workspace]\nid = \"acme\"\n",
    )
    .unwrap();
    let e = Workspace::open(&at(dir.path())).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.to_string().contains("no OKR database at"), "{e}");
}
