//! One storage story, run against SQLite and PostgreSQL: create sessions, commit turns, move
//! statuses, list with paging and filters, read results, delete.

use chrono::{TimeZone, Utc};
use mianshi_core::{
    Answer, AnswerSource, CandidateDocuments, Consent, Evidence, NewSession, Profile, Question,
    RubricItem, Score, SessionStatus, Skill, Span, Turn,
};
use mianshi_store::test_support::TestDatabase;
use mianshi_store::{
    PageRequest, SessionFilter, SqlStore, Store, StoreError, StoreOptions, TokenScope,
};
use serde_json::json;

fn new_session(user: &str, position: &str) -> NewSession {
    NewSession {
        user_id: user.to_owned(),
        metadata: json!({ "position": position, "nested": { "level": 2 } })
            .as_object()
            .cloned()
            .unwrap(),
        documents: None,
        candidate_token_hash: None,
    }
}

fn documents() -> CandidateDocuments {
    CandidateDocuments {
        profile: Some(Profile {
            name: Some("张伟".into()),
            skills: vec![Skill {
                name: "Kubernetes".into(),
                category: "devops".into(),
                evidence_span: Span {
                    start: 3,
                    end: 6,
                    text: "k8s".into(),
                },
                mentions: 1,
                section: "skills".into(),
            }],
            language: "zh".into(),
            text: "熟悉 k8s".into(),
            ..Default::default()
        }),
        job: None,
        skill_match: None,
    }
}

fn turn(index: u32, answered: bool) -> Turn {
    let at = Utc
        .timestamp_millis_opt(1_763_000_000_000 + i64::from(index))
        .unwrap();
    Turn {
        index,
        question: Question {
            text: format!("请介绍一下你在项目 {index} 中的角色"),
            topic: None,
            follow_up_depth: 0,
            asked_at: at,
        },
        answer: answered.then(|| Answer {
            text: "我负责后端，QPS 从 200 提升到 1500。".to_owned(),
            source: AnswerSource::Typed,
            started_at: Some(at),
            ended_at: at,
            delivery: None,
        }),
        score: answered.then(|| Score {
            overall: 72,
            rubric: vec![RubricItem {
                dimension: "specificity".into(),
                score: 80,
                weight: 0.25,
            }],
            evidence: vec![Evidence {
                quote: "QPS 从 200 提升到 1500".into(),
                effect: 8,
                note: "quantified result".into(),
            }],
            advice: vec!["Say what you personally changed.".into()],
            outline: vec!["the cache design".into()],
            notes: vec![],
        }),
    }
}

async fn story(store: &dyn Store) {
    store.ping().await.unwrap();

    // Create.
    let a = store
        .create_session(new_session("user123", "前端工程师"))
        .await
        .unwrap();
    let b = store
        .create_session(new_session("user123", "后端工程师"))
        .await
        .unwrap();
    let c = store
        .create_session(NewSession {
            documents: Some(documents()),
            ..new_session("someone-else", "SRE")
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_documents(c.session_id).await.unwrap(),
        Some(documents())
    );
    assert_eq!(store.get_documents(a.session_id).await.unwrap(), None);

    // The candidate's corrections replace the documents until the interview is planned; a
    // session created without documents gets them.
    let mut corrected = documents();
    corrected.profile.as_mut().unwrap().name = Some("张伟明".into());
    store
        .replace_documents(c.session_id, &corrected)
        .await
        .unwrap();
    assert_eq!(
        store.get_documents(c.session_id).await.unwrap(),
        Some(corrected.clone())
    );
    store
        .replace_documents(b.session_id, &corrected)
        .await
        .unwrap();
    assert_eq!(
        store.get_documents(b.session_id).await.unwrap(),
        Some(corrected.clone())
    );
    store.save_interview(c.session_id, "{}").await.unwrap();
    assert!(matches!(
        store.replace_documents(c.session_id, &documents()).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_documents(c.session_id).await.unwrap(),
        Some(corrected),
        "a refused edit changes nothing"
    );
    let unknown = mianshi_core::SessionId::new_random();
    assert!(matches!(
        store.replace_documents(unknown, &documents()).await,
        Err(StoreError::SessionNotFound(id)) if id == unknown
    ));
    assert_eq!(a.status, SessionStatus::Created);
    assert_eq!(
        store.get_session(a.session_id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(a.metadata["position"], "前端工程师");

    // Status changes are compare-and-set.
    let started = Utc::now();
    let a1 = store
        .update_status(
            a.session_id,
            SessionStatus::Created,
            SessionStatus::InProgress,
            started,
        )
        .await
        .unwrap();
    assert_eq!(a1.status, SessionStatus::InProgress);
    assert!(a1.started_at.is_some());
    let stale = store
        .update_status(
            a.session_id,
            SessionStatus::Created,
            SessionStatus::Cancelled,
            started,
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let paused = store
        .update_status(
            a.session_id,
            SessionStatus::InProgress,
            SessionStatus::Paused,
            Utc::now(),
        )
        .await
        .unwrap();
    let resumed = store
        .update_status(
            a.session_id,
            SessionStatus::Paused,
            SessionStatus::InProgress,
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        resumed.started_at, a1.started_at,
        "first start time is kept"
    );
    assert_eq!(paused.ended_at, None);

    // Turns: in order, never skipped or overwritten.
    store
        .append_turn(a.session_id, &turn(0, true))
        .await
        .unwrap();
    store
        .append_turn(a.session_id, &turn(1, false))
        .await
        .unwrap();
    let dup = store.append_turn(a.session_id, &turn(1, true)).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let gap = store.append_turn(a.session_id, &turn(5, true)).await;
    assert!(matches!(gap, Err(StoreError::Conflict(_))), "{gap:?}");
    let missing = mianshi_core::SessionId::new_random();
    assert!(matches!(
        store.append_turn(missing, &turn(0, true)).await,
        Err(StoreError::SessionNotFound(_))
    ));
    // The interviewer's state is saved with the turn it follows, atomically.
    assert_eq!(store.load_interview(b.session_id).await.unwrap(), None);
    store
        .save_interview(b.session_id, r#"{"asked":1}"#)
        .await
        .unwrap();
    assert_eq!(
        store.load_interview(b.session_id).await.unwrap().as_deref(),
        Some(r#"{"asked":1}"#)
    );
    store
        .commit_turn(b.session_id, &turn(0, true), r#"{"asked":2}"#)
        .await
        .unwrap();
    assert_eq!(
        store.load_interview(b.session_id).await.unwrap().as_deref(),
        Some(r#"{"asked":2}"#)
    );
    let stale = store
        .commit_turn(b.session_id, &turn(0, true), r#"{"asked":3}"#)
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(
        store.load_interview(b.session_id).await.unwrap().as_deref(),
        Some(r#"{"asked":2}"#),
        "a refused turn leaves the state as it was"
    );
    assert!(matches!(
        store.save_interview(missing, "{}").await,
        Err(StoreError::SessionNotFound(_))
    ));
    let scores = store
        .content_scores(&[a.session_id, b.session_id, c.session_id])
        .await
        .unwrap();
    assert_eq!(
        scores.get(&a.session_id),
        Some(&(72.0, 1)),
        "only scored turns count"
    );
    assert_eq!(scores.get(&b.session_id), Some(&(72.0, 1)));
    assert_eq!(scores.get(&c.session_id), None);
    assert!(store.content_scores(&[]).await.unwrap().is_empty());
    let turns = store.list_turns(a.session_id).await.unwrap();
    assert_eq!(turns, vec![turn(0, true), turn(1, false)]);
    let done = store
        .update_status(
            a.session_id,
            SessionStatus::InProgress,
            SessionStatus::Completed,
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(done.turn_count, 2);
    assert!(done.ended_at.is_some());

    // Listing: newest first, paged, filtered.
    let all = store
        .list_sessions(
            &SessionFilter::default(),
            PageRequest {
                limit: 2,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items.len(), 2);
    let rest = store
        .list_sessions(
            &SessionFilter::default(),
            PageRequest {
                limit: 2,
                offset: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    let mut seen: Vec<_> = all
        .items
        .iter()
        .chain(&rest.items)
        .map(|s| s.session_id)
        .collect();
    seen.sort();
    let mut expected = vec![a.session_id, b.session_id, c.session_id];
    expected.sort();
    assert_eq!(seen, expected, "pages cover every session exactly once");
    let mine = store
        .list_sessions(
            &SessionFilter {
                user_id: Some("user123".into()),
                status: None,
            },
            PageRequest {
                limit: 50,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.total, 2);
    let completed = store
        .list_sessions(
            &SessionFilter {
                user_id: Some("user123".into()),
                status: Some(SessionStatus::Completed),
            },
            PageRequest {
                limit: 50,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        completed
            .items
            .iter()
            .map(|s| s.session_id)
            .collect::<Vec<_>>(),
        vec![a.session_id]
    );

    // Consent is recorded with the session; a later one (devices changed) replaces it.
    let consent = |camera| Consent {
        version: "2026-11".into(),
        microphone: true,
        camera,
        given_at: Utc.timestamp_millis_opt(1_763_000_000_000).unwrap(),
    };
    assert_eq!(store.get_consent(c.session_id).await.unwrap(), None);
    assert!(store.access_log(c.session_id).await.unwrap().is_empty());
    store
        .record_consent(c.session_id, &consent(true))
        .await
        .unwrap();
    store
        .record_consent(c.session_id, &consent(false))
        .await
        .unwrap();
    assert_eq!(
        store.get_consent(c.session_id).await.unwrap(),
        Some(consent(false))
    );
    assert!(matches!(
        store
            .record_consent(mianshi_core::SessionId::new_random(), &consent(true))
            .await,
        Err(StoreError::SessionNotFound(_))
    ));

    // Reads are logged per session, oldest first, and only for sessions that exist.
    let read = |ms: i64, action: &str| mianshi_core::AccessEntry {
        at: Utc.timestamp_millis_opt(1_763_000_000_000 + ms).unwrap(),
        action: action.into(),
        client: "127.0.0.1 test".into(),
    };
    store
        .log_access(c.session_id, &read(5, "report.pdf"))
        .await
        .unwrap();
    store
        .log_access(c.session_id, &read(1, "results"))
        .await
        .unwrap();
    assert_eq!(
        store.access_log(c.session_id).await.unwrap(),
        vec![read(1, "results"), read(5, "report.pdf")]
    );
    assert!(store.access_log(b.session_id).await.unwrap().is_empty());
    assert!(matches!(
        store
            .log_access(mianshi_core::SessionId::new_random(), &read(1, "results"))
            .await,
        Err(StoreError::SessionNotFound(_))
    ));

    // Delete removes the session and its turns, and only it.
    assert!(store.delete_session(a.session_id).await.unwrap());
    assert!(!store.delete_session(a.session_id).await.unwrap());
    assert_eq!(store.get_session(a.session_id).await.unwrap(), None);
    assert!(store.list_turns(a.session_id).await.unwrap().is_empty());
    assert!(store.get_session(b.session_id).await.unwrap().is_some());
    assert!(store.delete_session(c.session_id).await.unwrap());
    assert_eq!(store.get_documents(c.session_id).await.unwrap(), None);
    assert_eq!(store.get_consent(c.session_id).await.unwrap(), None);
    assert!(matches!(
        store
            .update_status(
                a.session_id,
                SessionStatus::Completed,
                SessionStatus::Cancelled,
                Utc::now()
            )
            .await,
        Err(StoreError::SessionNotFound(_))
    ));
}

/// Appends racing on one session: exactly one writer wins each index.
async fn concurrent_appends(store: std::sync::Arc<SqlStore>) {
    let s = store
        .create_session(new_session("racer", "x"))
        .await
        .unwrap();
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            store.append_turn(s.session_id, &turn(0, true)).await
        }));
    }
    let mut ok = 0;
    for handle in handles {
        match handle.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(store.list_turns(s.session_id).await.unwrap().len(), 1);
}

/// Retention: sessions not changed since a moment, oldest first, bounded.
async fn retention(store: &dyn Store) {
    let before = Utc::now() - chrono::Duration::milliseconds(5);
    let old = store
        .create_session(new_session("retained", "SRE"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cutoff = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let new = store
        .create_session(new_session("retained", "SRE"))
        .await
        .unwrap();
    let expired = store.sessions_untouched_since(cutoff, 1_000).await.unwrap();
    assert!(expired.contains(&old.session_id));
    assert!(!expired.contains(&new.session_id));
    assert!(!store
        .sessions_untouched_since(before, 1_000)
        .await
        .unwrap()
        .contains(&old.session_id));
    assert_eq!(
        store
            .sessions_untouched_since(Utc::now(), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Credentials: a candidate token opens its one session and dies with it; operator tokens are
/// found by hash until revoked, and a hash cannot be stored twice.
async fn tokens(store: &dyn Store) {
    let a = store
        .create_session(NewSession {
            candidate_token_hash: Some("hash-a".into()),
            ..new_session("ana", "SRE")
        })
        .await
        .unwrap();
    let b = store
        .create_session(NewSession {
            candidate_token_hash: Some("hash-b".into()),
            ..new_session("bo", "SRE")
        })
        .await
        .unwrap();
    assert_eq!(
        store.session_for_token("hash-a").await.unwrap(),
        Some((a.session_id, "ana".to_owned()))
    );
    assert_eq!(
        store.session_for_token("hash-b").await.unwrap(),
        Some((b.session_id, "bo".to_owned()))
    );
    assert_eq!(store.session_for_token("hash-c").await.unwrap(), None);
    // The same hash for a second session would make one token open two sessions.
    assert!(store
        .create_session(NewSession {
            candidate_token_hash: Some("hash-a".into()),
            ..new_session("eve", "SRE")
        })
        .await
        .is_err());
    assert!(store.delete_session(a.session_id).await.unwrap());
    assert_eq!(store.session_for_token("hash-a").await.unwrap(), None);

    let admin = store
        .create_api_token("ops", TokenScope::Admin, "op-hash")
        .await
        .unwrap();
    let reader = store
        .create_api_token("recruiter", TokenScope::Interviewer, "reader-hash")
        .await
        .unwrap();
    assert_ne!(admin.id, reader.id);
    assert!(matches!(
        store
            .create_api_token("again", TokenScope::Admin, "op-hash")
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.api_token("op-hash").await.unwrap().map(|t| t.scope),
        Some(TokenScope::Admin)
    );
    assert!(store.revoke_api_token(&admin.id).await.unwrap());
    assert!(!store.revoke_api_token(&admin.id).await.unwrap());
    assert_eq!(store.api_token("op-hash").await.unwrap(), None);
    let listed = store.list_api_tokens().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed
        .iter()
        .any(|t| t.id == admin.id && t.revoked_at.is_some()));
    assert!(listed.iter().any(|t| t.name == "recruiter"
        && t.scope == TokenScope::Interviewer
        && t.revoked_at.is_none()));
}

#[tokio::test]
async fn story_on_sqlite() {
    let db = TestDatabase::sqlite();
    let store = SqlStore::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    story(&store).await;
    tokens(&store).await;
    retention(&store).await;
    concurrent_appends(std::sync::Arc::new(store)).await;
}

#[tokio::test]
async fn story_on_sqlite_in_memory() {
    let store = SqlStore::connect("sqlite::memory:", &StoreOptions::default())
        .await
        .unwrap();
    story(&store).await;
}

#[tokio::test]
async fn story_on_postgres() {
    let db = TestDatabase::postgres().await;
    let store = SqlStore::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    story(&store).await;
    tokens(&store).await;
    retention(&store).await;
    let store = std::sync::Arc::new(store);
    concurrent_appends(store.clone()).await;
    store.close().await;
}

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let db = TestDatabase::sqlite();
    let id = {
        let store = SqlStore::connect(&db.url, &StoreOptions::default())
            .await
            .unwrap();
        let s = store.create_session(new_session("u", "p")).await.unwrap();
        store.close().await;
        s.session_id
    };
    let store = SqlStore::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    assert!(store.get_session(id).await.unwrap().is_some());
}

/// Every byte of the SQLite database's files (the database, its write-ahead log, its index).
fn sqlite_bytes(url: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// DESIGN §2: a deleted practice is gone — not only from every query, but from the files on
/// disk, where a copied database file would otherwise still hold the answers.
#[tokio::test]
async fn a_deleted_session_leaves_no_words_in_the_sqlite_files() {
    let db = TestDatabase::sqlite();
    let store = SqlStore::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    let marker = "SECRET-ANSWER-7f3a91";
    let keep = "KEPT-ANSWER-2b8c44";
    let mut ids = Vec::new();
    for word in [marker, keep] {
        let mut documents = documents();
        documents.profile.as_mut().unwrap().text = format!("résumé {word}");
        let s = store
            .create_session(NewSession {
                documents: Some(documents),
                ..new_session("u", word)
            })
            .await
            .unwrap();
        let mut answered = turn(0, true);
        answered.answer.as_mut().unwrap().text = format!("my answer {word}");
        store.append_turn(s.session_id, &answered).await.unwrap();
        ids.push(s.session_id);
    }
    let before = sqlite_bytes(&db.url);
    assert!(contains(&before, marker), "the check can see stored words");

    assert!(store.delete_session(ids[0]).await.unwrap());
    let after = sqlite_bytes(&db.url);
    assert!(
        !contains(&after, marker),
        "the deleted words are gone from disk"
    );
    assert!(contains(&after, keep), "the other session is untouched");
    assert_eq!(store.list_turns(ids[1]).await.unwrap().len(), 1);
    store.close().await;
}
