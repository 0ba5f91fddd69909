// Runs on the audio thread: hands each 128-sample block of the microphone to the page, which
// resamples it to 16 kHz PCM16 for the live stream (docs/protocol.md).
class Capture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor("mianshi-capture", Capture);
