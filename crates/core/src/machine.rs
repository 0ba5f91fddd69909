//! The interview state machine: `(state, event) → (state, effects)` as a pure function.
//!
//! Callers (HTTP handlers, the live-session actor) read the state, call [`transition`], then
//! carry out the effects in order — persisting before announcing — so the rules here are the
//! only place that decides what may happen next.

use serde::{Deserialize, Serialize};

use crate::{Answer, Question, Score, SessionStatus, Turn};

/// Everything the rules need to decide the next step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InterviewState {
    pub status: SessionStatus,
    /// Turns committed so far; the next turn gets this index.
    pub committed_turns: u32,
    /// The question waiting for an answer, if any.
    pub open_question: Option<Question>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Start,
    Pause,
    Resume,
    Complete,
    Cancel,
    Ask(Question),
    Answer {
        answer: Answer,
        score: Option<Score>,
    },
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Start => "start",
            Event::Pause => "pause",
            Event::Resume => "resume",
            Event::Complete => "complete",
            Event::Cancel => "cancel",
            Event::Ask(_) => "ask",
            Event::Answer { .. } => "answer",
        }
    }

    /// The lifecycle event that moves a session from `from` to `to`, if the pair names one.
    pub fn for_status_change(from: SessionStatus, to: SessionStatus) -> Option<Event> {
        use SessionStatus::*;
        match (from, to) {
            (Created, InProgress) => Some(Event::Start),
            (Paused, InProgress) => Some(Event::Resume),
            (_, Paused) => Some(Event::Pause),
            (_, Completed) => Some(Event::Complete),
            (_, Cancelled) => Some(Event::Cancel),
            _ => None,
        }
    }
}

/// What the caller must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Persist the new status (conditionally on the old one, to catch concurrent writers).
    PersistStatus {
        from: SessionStatus,
        to: SessionStatus,
    },
    /// Commit a turn; it must be durable before anything later is announced.
    CommitTurn(Box<Turn>),
    /// Deliver a question to the candidate.
    SendQuestion(Box<Question>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {event} a session that is {from}")]
    InvalidTransition {
        from: SessionStatus,
        event: &'static str,
    },
    #[error("a question is already waiting for an answer")]
    QuestionAlreadyOpen,
    #[error("there is no open question to answer")]
    NoOpenQuestion,
}

/// Applies one event. Never panics; an illegal event leaves the state untouched.
pub fn transition(
    state: &InterviewState,
    event: Event,
) -> Result<(InterviewState, Vec<Effect>), TransitionError> {
    use SessionStatus::*;
    let from = state.status;
    let invalid = |event: &Event| TransitionError::InvalidTransition {
        from,
        event: event.name(),
    };
    let mut next = state.clone();
    let mut effects = Vec::new();

    match (&event, from) {
        (Event::Start, Created) | (Event::Resume, Paused) => {
            next.status = InProgress;
        }
        (Event::Pause, InProgress) => next.status = Paused,
        (Event::Complete, InProgress | Paused) | (Event::Cancel, Created | InProgress | Paused) => {
            // A question asked but never answered is still part of the record.
            if let Some(question) = next.open_question.take() {
                effects.push(Effect::CommitTurn(Box::new(Turn {
                    index: next.committed_turns,
                    question,
                    answer: None,
                    score: None,
                })));
                next.committed_turns += 1;
            }
            next.status = if matches!(event, Event::Complete) {
                Completed
            } else {
                Cancelled
            };
        }
        (Event::Ask(question), InProgress) => {
            if next.open_question.is_some() {
                return Err(TransitionError::QuestionAlreadyOpen);
            }
            next.open_question = Some(question.clone());
            effects.push(Effect::SendQuestion(Box::new(question.clone())));
            return Ok((next, effects));
        }
        (Event::Answer { answer, score }, InProgress) => {
            let question = next
                .open_question
                .take()
                .ok_or(TransitionError::NoOpenQuestion)?;
            effects.push(Effect::CommitTurn(Box::new(Turn {
                index: next.committed_turns,
                question,
                answer: Some(answer.clone()),
                score: score.clone(),
            })));
            next.committed_turns += 1;
            return Ok((next, effects));
        }
        (event, _) => return Err(invalid(event)),
    }

    effects.insert(
        0,
        Effect::PersistStatus {
            from,
            to: next.status,
        },
    );
    // Turns first, then the status: a crash between the two leaves a turn on record in a
    // session that can still be closed, never a closed session missing its last turn.
    effects.sort_by_key(|effect| !matches!(effect, Effect::CommitTurn(_)));
    Ok((next, effects))
}

/// The statuses reachable from `from` in one lifecycle step.
pub fn allowed_targets(from: SessionStatus) -> &'static [SessionStatus] {
    use SessionStatus::*;
    match from {
        Created => &[InProgress, Cancelled],
        InProgress => &[Paused, Completed, Cancelled],
        Paused => &[InProgress, Completed, Cancelled],
        Completed | Cancelled => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnswerSource;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn question(n: u32) -> Question {
        Question {
            text: format!("question {n}"),
            topic: None,
            follow_up_depth: 0,
            asked_at: Utc.timestamp_opt(1_700_000_000 + i64::from(n), 0).unwrap(),
        }
    }

    fn answer(n: u32) -> Event {
        Event::Answer {
            answer: Answer {
                text: format!("answer {n}"),
                source: AnswerSource::Typed,
                started_at: None,
                ended_at: Utc.timestamp_opt(1_700_000_100 + i64::from(n), 0).unwrap(),
                delivery: None,
            },
            score: None,
        }
    }

    #[test]
    fn happy_path_commits_every_answer() {
        let state = InterviewState::default();
        let (state, effects) = transition(&state, Event::Start).unwrap();
        assert_eq!(state.status, SessionStatus::InProgress);
        assert_eq!(
            effects,
            vec![Effect::PersistStatus {
                from: SessionStatus::Created,
                to: SessionStatus::InProgress
            }]
        );
        let (state, effects) = transition(&state, Event::Ask(question(0))).unwrap();
        assert!(matches!(effects[..], [Effect::SendQuestion(_)]));
        let (state, effects) = transition(&state, answer(0)).unwrap();
        assert_eq!(state.committed_turns, 1);
        assert!(matches!(&effects[..], [Effect::CommitTurn(t)] if t.index == 0));
        let (state, _) = transition(&state, Event::Complete).unwrap();
        assert_eq!(state.status, SessionStatus::Completed);
    }

    #[test]
    fn completing_with_an_open_question_records_it_before_the_status() {
        let (state, _) = transition(&InterviewState::default(), Event::Start).unwrap();
        let (state, _) = transition(&state, Event::Ask(question(7))).unwrap();
        let (state, effects) = transition(&state, Event::Complete).unwrap();
        assert_eq!(state.committed_turns, 1);
        assert!(state.open_question.is_none());
        assert!(matches!(&effects[0], Effect::CommitTurn(t) if t.answer.is_none()));
        assert!(matches!(&effects[1], Effect::PersistStatus { .. }));
    }

    #[test]
    fn terminal_states_reject_everything() {
        for terminal in [SessionStatus::Completed, SessionStatus::Cancelled] {
            let state = InterviewState {
                status: terminal,
                ..Default::default()
            };
            for event in [
                Event::Start,
                Event::Pause,
                Event::Resume,
                Event::Complete,
                Event::Cancel,
            ] {
                assert!(matches!(
                    transition(&state, event),
                    Err(TransitionError::InvalidTransition { .. })
                ));
            }
        }
    }

    #[test]
    fn status_change_events_agree_with_allowed_targets() {
        for from in SessionStatus::ALL {
            for to in SessionStatus::ALL {
                let state = InterviewState {
                    status: from,
                    ..Default::default()
                };
                let reached = Event::for_status_change(from, to)
                    .and_then(|event| transition(&state, event).ok())
                    .map(|(next, _)| next.status);
                let allowed = allowed_targets(from).contains(&to);
                assert_eq!(reached == Some(to), allowed, "{from} -> {to}");
            }
        }
    }

    fn arb_event() -> impl Strategy<Value = u8> {
        0u8..7
    }

    fn make_event(kind: u8, n: u32) -> Event {
        match kind {
            0 => Event::Start,
            1 => Event::Pause,
            2 => Event::Resume,
            3 => Event::Complete,
            4 => Event::Cancel,
            5 => Event::Ask(question(n)),
            _ => answer(n),
        }
    }

    proptest! {
        #[test]
        fn no_event_sequence_reaches_an_illegal_state_or_loses_a_turn(
            kinds in proptest::collection::vec(arb_event(), 0..60)
        ) {
            let mut state = InterviewState::default();
            let mut committed: Vec<Turn> = Vec::new();
            let mut asked = 0u32;
            for (n, kind) in kinds.into_iter().enumerate() {
                let before = state.clone();
                let event = make_event(kind, n as u32);
                let is_ask = matches!(event, Event::Ask(_));
                match transition(&state, event) {
                    Ok((next, effects)) => {
                        if is_ask { asked += 1; }
                        // Status changes only along the documented edges.
                        if next.status != before.status {
                            prop_assert!(allowed_targets(before.status).contains(&next.status));
                        }
                        for effect in effects {
                            if let Effect::CommitTurn(turn) = effect {
                                prop_assert_eq!(turn.index as usize, committed.len());
                                committed.push(*turn);
                            }
                        }
                        state = next;
                    }
                    Err(_) => {
                        // An illegal event changes nothing.
                        prop_assert_eq!(&state, &before);
                    }
                }
                prop_assert_eq!(state.committed_turns as usize, committed.len());
                if state.status.is_terminal() {
                    prop_assert!(state.open_question.is_none());
                }
                // Every question asked is either committed or still open: none vanish.
                let open = u32::from(state.open_question.is_some());
                prop_assert_eq!(committed.len() as u32 + open, asked);
            }
        }
    }
}
