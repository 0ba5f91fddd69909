//! Arbitrary text through the profile and job parsers (dates, sections, skills, spans).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let profile = mianshi_resume::parse_profile(&text);
    for skill in &profile.skills {
        assert_eq!(&profile.text[skill.evidence_span.start..skill.evidence_span.end], skill.evidence_span.text);
    }
    let job = mianshi_resume::parse_job(&text);
    let _ = mianshi_resume::match_profile(&profile, &job);
});
