//! Mianshi's domain: the types every other crate speaks (sessions, turns, questions, answers,
//! scores) and the interview state machine as a pure function. No I/O lives here, so the rules
//! can be tested exhaustively and shared by the API, storage and the live pipeline alike.

pub mod frame;
pub mod machine;
pub mod profile;
pub mod session;
pub mod text;
pub mod turn;

pub use machine::{transition, Effect, Event, InterviewState, TransitionError};
pub use profile::{
    CandidateDocuments, Contact, Education, Experience, ExperienceEdit, JobSkill, JobSpec, Profile,
    ProfileEdit, Project, ProjectEdit, Seniority, Skill, SkillMatch, SkillMatchItem, Span,
};
pub use session::{
    AccessEntry, Consent, NewSession, Session, SessionId, SessionIdError, SessionStatus,
};
pub use turn::{
    Answer, AnswerSource, Evidence, Question, RubricItem, Score, Topic, TopicKind, Turn,
};
