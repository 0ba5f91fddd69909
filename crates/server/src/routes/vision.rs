//! Camera analysis of uploads: `POST /api/ai/analyze-video` (a video, or a sequence of
//! photos) returns a timeline and aggregates; `POST /api/ai/detect-emotions` (a photo or a
//! video) returns expression probabilities per face. Both run on the CPU pool. Screening mode
//! (DESIGN §2) switches expression inference off: analyze-video leaves it out,
//! detect-emotions refuses with `screening_mode`.

use std::collections::HashMap;
use std::io::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mianshi_vision::{AnalyzeOptions, FileOptions, Tracker, VisionError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{multipart_error, ApiMultipart};
use crate::state::AppState;

/// Frames analysed per upload at most (10 minutes at 5 fps), so one request cannot hold a
/// CPU slot for long.
const MAX_FRAMES: usize = 3000;

pub fn vision_status(err: &VisionError) -> StatusCode {
    match err {
        VisionError::Image(_) | VisionError::Video(_) | VisionError::FrameTooSmall { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        VisionError::Model { .. } => StatusCode::SERVICE_UNAVAILABLE,
        VisionError::Inference(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn vision_code(err: &VisionError) -> &'static str {
    match err {
        VisionError::Image(_) => "image_unreadable",
        VisionError::Video(_) => "video_unreadable",
        VisionError::FrameTooSmall { .. } => "frame_too_small",
        VisionError::Model { .. } => "model_unavailable",
        VisionError::Inference(_) => "internal",
    }
}

fn mode_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["practice", "screening"]))
        .build()
}

/// The multipart form of `/api/ai/analyze-video` (for the docs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VideoForm {
    /// The recording (MP4, WebM, MOV, MKV, …); or send `frames` instead.
    #[schema(value_type = String, format = Binary)]
    video_file: Option<Vec<u8>>,
    /// Photos (JPEG, PNG) in time order, one field each, as an alternative to a video.
    #[schema(value_type = Vec<String>, format = Binary)]
    frames: Option<Vec<Vec<u8>>>,
    /// Frames per second to sample from a video, or between the sent frames (0.1–30, 5).
    #[schema(minimum = 0.1, maximum = 30.0)]
    fps: Option<f64>,
    /// `practice` (default) or `screening` (no facial-expression analysis).
    #[schema(schema_with = mode_schema)]
    mode: Option<String>,
    session_id: Option<String>,
}

struct MediaForm {
    video: Option<Bytes>,
    frames: Vec<Bytes>,
    fields: HashMap<String, String>,
}

impl MediaForm {
    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn fps(&self) -> Result<f64, ApiError> {
        match self.field("fps") {
            None => Ok(5.0),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|f| (0.1..=30.0).contains(f))
                .ok_or_else(|| ApiError::Validation(format!("fps must be 0.1 to 30, not {v:?}"))),
        }
    }

    fn screening(&self) -> Result<bool, ApiError> {
        match self.field("mode").as_deref() {
            None | Some("practice") => Ok(false),
            Some("screening") => Ok(true),
            Some(other) => Err(ApiError::Validation(format!(
                "mode must be practice or screening, not {other:?}"
            ))),
        }
    }
}

async fn read_media_form(
    mut form: axum::extract::Multipart,
    limit: usize,
) -> Result<MediaForm, ApiError> {
    let multipart_error = multipart_error(limit);
    let mut media = MediaForm {
        video: None,
        frames: Vec::new(),
        fields: HashMap::new(),
    };
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        match name.as_str() {
            "video_file" | "video" | "file" | "image" | "image_file" => media.video = Some(bytes),
            "frames" | "frame" => media.frames.push(bytes),
            _ => {
                media
                    .fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    crate::extract::only_known_fields(media.fields.keys(), &["fps", "mode", "session_id"])?;
    if media.video.is_none() && media.frames.is_empty() {
        return Err(ApiError::Validation(
            "send a video as multipart field `video_file`, or photos as `frames`".into(),
        ));
    }
    if media.video.as_ref().is_some_and(|v| v.is_empty()) {
        return Err(ApiError::Validation("the uploaded file is empty".into()));
    }
    if media.frames.len() > MAX_FRAMES {
        return Err(ApiError::Validation(format!(
            "at most {MAX_FRAMES} frames per request"
        )));
    }
    Ok(media)
}

fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Writes an upload to a temporary file with a neutral extension: ffmpeg probes the content,
/// and MP4s with the index at the end need a seekable file, not a pipe.
fn spill(bytes: &[u8]) -> Result<tempfile::NamedTempFile, ApiError> {
    let mut file = tempfile::Builder::new()
        .prefix("mianshi-upload-")
        .suffix(".media")
        .tempfile()
        .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
    file.write_all(bytes)
        .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
    Ok(file)
}

fn decode_image(bytes: &[u8]) -> Result<mianshi_vision::image::RgbImage, ApiError> {
    Ok(mianshi_vision::image::load_from_memory(bytes)
        .map_err(|e| VisionError::Image(e.to_string()))?
        .to_rgb8())
}

/// The smallest frame the face models take (the tracker refuses smaller ones as well).
const MIN_SIDE: u32 = 16;

fn check_size(frame: &mianshi_vision::image::RgbImage) -> Result<(), ApiError> {
    if frame.width() < MIN_SIDE || frame.height() < MIN_SIDE {
        return Err(VisionError::FrameTooSmall {
            width: frame.width(),
            height: frame.height(),
        }
        .into());
    }
    Ok(())
}

/// Reads the upload as far as it can be read without the models (every photo, a video's
/// first frame), for when they are missing: a bad upload then still gets its 4xx, since a
/// client told to retry once the models are fetched would only fail again.
fn check_upload(form: &MediaForm, fps: f64) -> Result<(), ApiError> {
    match &form.video {
        Some(video) if !looks_like_image(video) => {
            let file = spill(video)?;
            match mianshi_vision::video::VideoFrames::open(file.path(), fps)?.next() {
                Some(first) => check_size(&first?.1),
                None => Err(VisionError::Video("the file has no video frames".into()).into()),
            }
        }
        photo => photo
            .iter()
            .chain(&form.frames)
            .try_for_each(|bytes| check_size(&decode_image(bytes)?)),
    }
}

/// Timeline and aggregates of face, gaze, head pose, body pose and expression.
///
/// The response is `FileAnalysis` from the vision crate: `fps`, `timeline` (one entry per
/// analysed frame: `t`, `face` {box, score, iris, head_pose, gaze, eye_openness,
/// expression}, `faces_in_view`, `pose` {keypoints, shoulder_tilt, head_tilt, hands_visible,
/// torso_lean}, `quality`), `seconds` (per-second aggregates) and `overall`. Definitions and
/// units: docs/vision.md.
#[utoipa::path(
    post,
    path = "/api/ai/analyze-video",
    tag = "vision",
    request_body(content = VideoForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "timeline and aggregates (see docs/vision.md)", content_type = "application/json"),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`video_unreadable`, `image_unreadable`, `frame_too_small`, `validation_failed`", body = ErrorBody),
        (status = 503, description = "`model_loading`, `model_unavailable`, `busy`", body = ErrorBody),
    )
)]
pub async fn analyze_video(
    State(state): State<AppState>,
    ApiMultipart(form): ApiMultipart,
) -> Result<Json<serde_json::Value>, ApiError> {
    let form = read_media_form(form, state.config.upload_limit_bytes()).await?;
    let fps = form.fps()?;
    let analyze = AnalyzeOptions {
        expressions: !form.screening()?,
        ..AnalyzeOptions::default()
    };
    let expressions_analysed = analyze.expressions;
    let slot = state.vision.clone();
    let session_id = form.field("session_id");
    let analysis = state
        .cpu
        .run(move || -> Result<mianshi_vision::FileAnalysis, ApiError> {
            let vision = match slot.get() {
                Ok(vision) => vision,
                Err(missing) => {
                    check_upload(&form, fps)?;
                    return Err(missing);
                }
            };
            if let Some(video) = form.video.as_ref().filter(|v| !looks_like_image(v)) {
                let file = spill(video)?;
                let analysis = mianshi_vision::analyze_file(
                    &vision,
                    file.path(),
                    &FileOptions {
                        fps,
                        analyze: analyze.clone(),
                        overlay: None,
                    },
                )?;
                if analysis.timeline.len() > MAX_FRAMES {
                    return Err(ApiError::Validation(format!(
                        "the video is longer than {MAX_FRAMES} frames at {fps} fps"
                    )));
                }
                return Ok(analysis);
            }
            // A photo, or a sequence of them.
            let photos: Vec<&Bytes> = form.video.iter().chain(&form.frames).collect();
            let mut tracker = Tracker::new();
            let mut timeline = Vec::with_capacity(photos.len());
            for (i, bytes) in photos.into_iter().enumerate() {
                let frame = decode_image(bytes)?;
                timeline.push(tracker.analyze(&vision, &frame, i as f64 / fps, &analyze)?);
            }
            Ok(mianshi_vision::FileAnalysis::from_timeline(
                fps,
                timeline,
                Default::default(),
            ))
        })
        .await??;
    let mut body = serde_json::to_value(&analysis)
        .map_err(|e| ApiError::Internal(format!("serialising the analysis: {e}")))?;
    body["session_id"] = serde_json::json!(session_id);
    body["expressions_analysed"] = serde_json::json!(expressions_analysed);
    Ok(Json(body))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaceEmotion {
    /// Normalised box of the face: x, y, w, h in 0..1.
    #[schema(value_type = Object)]
    #[serde(rename = "box")]
    pub bbox: mianshi_vision::analyzer::NormBox,
    /// Label → probability, for angry, disgust, fear, happy, sad, surprise, neutral.
    pub emotions: HashMap<String, f32>,
    pub dominant: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmotionFrame {
    /// Seconds into the video (0 for a photo).
    pub t: f64,
    pub faces: Vec<FaceEmotion>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmotionsResponse {
    pub frames: Vec<EmotionFrame>,
    /// Mean probabilities over every face in every frame.
    pub mean: HashMap<String, f32>,
    pub model: &'static str,
}

/// Facial-expression probabilities of every face in a photo, or per sampled frame of a video.
///
/// Refused in screening mode (`mode=screening`): DESIGN §2 rules out emotion inference there.
#[utoipa::path(
    post,
    path = "/api/ai/detect-emotions",
    tag = "vision",
    request_body(content = VideoForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = EmotionsResponse),
        (status = 403, description = "`screening_mode`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`video_unreadable`, `image_unreadable`, `validation_failed`", body = ErrorBody),
        (status = 503, description = "`model_loading`, `model_unavailable`, `busy`", body = ErrorBody),
    )
)]
pub async fn detect_emotions(
    State(state): State<AppState>,
    ApiMultipart(form): ApiMultipart,
) -> Result<Json<EmotionsResponse>, ApiError> {
    let form = read_media_form(form, state.config.upload_limit_bytes()).await?;
    if form.screening()? {
        return Err(ApiError::ScreeningMode);
    }
    let fps = form.fps()?;
    let slot = state.vision.clone();
    let frames = state
        .cpu
        .run(move || -> Result<Vec<EmotionFrame>, ApiError> {
            let vision = slot.get().and_then(|vision| {
                if vision.has_expression() {
                    Ok(vision)
                } else {
                    Err(ApiError::ModelLoading("fer-mini-xception".into()))
                }
            });
            let vision = match vision {
                Ok(vision) => vision,
                Err(missing) => {
                    check_upload(&form, fps)?;
                    return Err(missing);
                }
            };
            let mut out = Vec::new();
            let mut analyse =
                |t: f64, frame: &mianshi_vision::image::RgbImage| -> Result<(), ApiError> {
                    check_size(frame)?;
                    let faces = vision
                        .expressions_of_all_faces(frame)?
                        .into_iter()
                        .map(|(bbox, e)| FaceEmotion {
                            bbox,
                            emotions: mianshi_vision::LABELS
                                .iter()
                                .zip(e.probs)
                                .map(|(l, p)| (l.to_string(), p))
                                .collect(),
                            dominant: e.top,
                        })
                        .collect();
                    out.push(EmotionFrame { t, faces });
                    Ok(())
                };
            match &form.video {
                Some(bytes) if looks_like_image(bytes) => analyse(0.0, &decode_image(bytes)?)?,
                Some(bytes) => {
                    let file = spill(bytes)?;
                    for item in
                        mianshi_vision::video::VideoFrames::open(file.path(), fps)?.take(MAX_FRAMES)
                    {
                        let (t, frame) = item?;
                        analyse(t, &frame)?;
                    }
                }
                None => {
                    for (i, bytes) in form.frames.iter().enumerate() {
                        analyse(i as f64 / fps, &decode_image(bytes)?)?;
                    }
                }
            }
            Ok(out)
        })
        .await??;
    let mut mean: HashMap<String, f32> = HashMap::new();
    let faces: Vec<&FaceEmotion> = frames.iter().flat_map(|f| &f.faces).collect();
    for face in &faces {
        for (label, p) in &face.emotions {
            *mean.entry(label.clone()).or_default() += p / faces.len() as f32;
        }
    }
    Ok(Json(EmotionsResponse {
        frames,
        mean,
        model: "fer-mini-xception",
    }))
}
