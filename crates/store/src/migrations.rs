//! The schema, embedded in the binary. Migrations are written in SQL both backends accept; a
//! backend-specific step would be added here by matching on [`Backend`](crate::Backend).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlSafeStr;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "sessions and turns",
        include_str!("../migrations/0001_sessions.sql"),
    ),
    (
        2,
        "candidate documents",
        include_str!("../migrations/0002_candidate_documents.sql"),
    ),
    (
        3,
        "interviewer state",
        include_str!("../migrations/0003_interviews.sql"),
    ),
    (
        4,
        "consents",
        include_str!("../migrations/0004_consents.sql"),
    ),
    (
        5,
        "access log",
        include_str!("../migrations/0005_access_log.sql"),
    ),
    (6, "tokens", include_str!("../migrations/0006_tokens.sql")),
];

pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}
