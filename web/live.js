// The live interview connection: microphone (AudioWorklet → 16 kHz PCM16, 100 ms frames) and
// camera (JPEG at the session's fps) stream to /ws/video-stream/{id}; the server's events come
// back to `onEvent`. The microphone is muted while the question is spoken, so the interviewer
// never hears itself.

const KIND_AUDIO = 0x01;
const KIND_VIDEO = 0x02;
const RATE = 16000;
const FRAME_SAMPLES = 1600; // 100 ms

function frame(kind, ms, payload) {
  const bytes = new Uint8Array(9 + payload.byteLength);
  bytes[0] = kind;
  new DataView(bytes.buffer).setBigUint64(1, BigInt(Math.max(0, Math.round(ms))), true);
  bytes.set(new Uint8Array(payload.buffer || payload, payload.byteOffset || 0, payload.byteLength), 9);
  return bytes;
}

// Averages the device's samples into 16 kHz bins: a box filter is enough for speech and keeps
// the main thread cheap.
class Resampler {
  constructor(inputRate) {
    this.step = inputRate / RATE;
    this.position = 0;
    this.sum = 0;
    this.count = 0;
  }
  push(samples, out) {
    for (const s of samples) {
      this.sum += s;
      this.count += 1;
      this.position += 1;
      if (this.position >= this.step) {
        this.position -= this.step;
        out.push(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
      }
    }
  }
}

export class LiveInterview {
  constructor({ sessionId, token, language, audio, video, fps = 5, onEvent, onLevel }) {
    Object.assign(this, { sessionId, token, language, audio, video, fps, onEvent, onLevel });
    this.muted = false;
    this.paused = false;
    this.sentMs = 0;
    this.pending = [];
    this.videoStart = null;
    this.closed = false;
  }

  async start() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // Browsers cannot set headers on a WebSocket: the session's token goes in the query.
    const query = this.token ? `?token=${encodeURIComponent(this.token)}` : "";
    this.socket = new WebSocket(`${scheme}//${location.host}/ws/video-stream/${this.sessionId}${query}`);
    this.socket.binaryType = "arraybuffer";
    await new Promise((resolve, reject) => {
      this.socket.onopen = resolve;
      this.socket.onerror = () => reject(new Error("the live connection failed"));
    });
    this.socket.onmessage = (message) => {
      if (typeof message.data === "string") this.onEvent(JSON.parse(message.data));
    };
    this.socket.onclose = () => {
      if (!this.closed) this.onEvent({ type: "closed" });
    };
    this.socket.send(JSON.stringify({
      type: "hello", version: 1, language: this.language, video_fps: this.fps,
      consent: { audio: Boolean(this.audio), video: Boolean(this.video) },
    }));
    if (this.audio) await this.startAudio();
    if (this.video) this.startVideo();
  }

  async startAudio() {
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule("/app/capture-worklet.js");
    const source = this.context.createMediaStreamSource(this.audio);
    const node = new AudioWorkletNode(this.context, "mianshi-capture");
    const resampler = new Resampler(this.context.sampleRate);
    node.port.onmessage = (event) => {
      if (this.paused || this.closed) return;
      const block = this.muted ? new Float32Array(event.data.length) : event.data;
      let peak = 0;
      for (const s of block) peak = Math.max(peak, Math.abs(s));
      if (this.onLevel) this.onLevel(peak);
      resampler.push(block, this.pending);
      while (this.pending.length >= FRAME_SAMPLES) {
        const chunk = this.pending.splice(0, FRAME_SAMPLES);
        const pcm = new Int16Array(FRAME_SAMPLES);
        chunk.forEach((s, i) => { pcm[i] = Math.max(-32768, Math.min(32767, Math.round(s * 32767))); });
        this.send(frame(KIND_AUDIO, this.sentMs, pcm));
        this.sentMs += 100;
      }
    };
    source.connect(node);
    // A silent sink keeps the graph running without echoing the microphone.
    const sink = this.context.createGain();
    sink.gain.value = 0;
    node.connect(sink).connect(this.context.destination);
  }

  startVideo() {
    const element = document.createElement("video");
    element.muted = true;
    element.playsInline = true;
    element.srcObject = this.video;
    element.play().catch(() => {});
    const canvas = document.createElement("canvas");
    this.videoTimer = setInterval(() => {
      if (this.paused || this.closed || !element.videoWidth) return;
      const scale = Math.min(1, 640 / element.videoWidth);
      canvas.width = Math.round(element.videoWidth * scale);
      canvas.height = Math.round(element.videoHeight * scale);
      canvas.getContext("2d").drawImage(element, 0, 0, canvas.width, canvas.height);
      if (this.videoStart === null) this.videoStart = performance.now();
      const ms = performance.now() - this.videoStart;
      canvas.toBlob(async (blob) => {
        if (blob && !this.closed) this.send(frame(KIND_VIDEO, ms, new Uint8Array(await blob.arrayBuffer())));
      }, "image/jpeg", 0.75);
    }, 1000 / this.fps);
  }

  send(data) {
    // A socket that cannot keep up gets no more camera frames than it drains; audio is
    // never dropped by the page (the server slows the sender instead).
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (data[0] === KIND_VIDEO && this.socket.bufferedAmount > 512 * 1024) return;
    this.socket.send(data);
  }

  control(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  answerEnd() { this.control({ type: "answer_end" }); }

  setPaused(paused) { this.paused = paused; }

  // Mutes the microphone while `text` is spoken, then opens it again. Without voices (or if
  // speech fails) it opens after the time the text would take to read.
  speak(text) {
    return new Promise((resolve) => {
      this.muted = true;
      const done = () => {
        if (!this.muted) return;
        this.muted = false;
        resolve();
      };
      const estimate = Math.min(30000, 1200 + text.length * (this.language === "zh" ? 220 : 65));
      setTimeout(done, estimate);
      if (!("speechSynthesis" in window)) return done();
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = this.language === "zh" ? "zh-CN" : "en-US";
      utterance.onend = done;
      utterance.onerror = done;
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(utterance);
    });
  }

  close() {
    this.closed = true;
    clearInterval(this.videoTimer);
    if (this.context) this.context.close().catch(() => {});
    for (const stream of [this.audio, this.video]) {
      if (stream) stream.getTracks().forEach((track) => track.stop());
    }
    if (this.socket) this.socket.close();
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
  }
}
