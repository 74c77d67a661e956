/*! Muni: microphone capture for the chat widget and the /ring page.
 * A microphone stream becomes 16 kHz PCM16 in 40 ms frames (ArrayBuffers of 1280 bytes).
 * As a classic script this file defines window.MuniMic.capture(ctx, stream, emit); the same file is
 * also loaded with audioWorklet.addModule(), where it only registers the "muni-capture" processor.
 * No eval, no inline code: it runs under the pages' strict Content-Security-Policy.
 */
(() => {
  "use strict";

  function makeDownsampler(inRate, outRate, frameSamples, emit) {
    const step = inRate / outRate;
    let frame = new Int16Array(frameSamples), filled = 0, sum = 0, count = 0, position = 0;
    return function push(samples) {
      for (let i = 0; i < samples.length; i++) {
        sum += samples[i]; count++; position += 1;
        let emitted = false;
        while (position >= step) { // box filter over the input samples of each output sample
          position -= step; emitted = true;
          const value = Math.max(-1, Math.min(1, sum / count));
          frame[filled++] = value < 0 ? value * 0x8000 : value * 0x7fff;
          if (filled === frameSamples) { emit(frame.buffer); frame = new Int16Array(frameSamples); filled = 0; }
        }
        if (emitted) { sum = 0; count = 0; }
      }
    };
  }

  function workletMain() {
    class MuniCapture extends AudioWorkletProcessor {
      constructor() {
        super();
        this.push = makeDownsampler(sampleRate, 16000, 640, (buffer) => this.port.postMessage(buffer, [buffer]));
      }
      process(inputs) {
        const channel = inputs[0] && inputs[0][0];
        if (channel) this.push(channel);
        return true;
      }
    }
    registerProcessor("muni-capture", MuniCapture);
  }

  if (typeof window === "undefined") { // loaded with audioWorklet.addModule(): only register the processor
    if (typeof registerProcessor === "function") workletMain();
    return;
  }
  if (window.MuniMic) return; // loaded twice
  const script = document.currentScript || document.querySelector('script[src*="muni-mic.js"]');
  const SELF = script && script.src;

  // Capture `stream` in the AudioContext `ctx`; `emit(buffer)` gets every frame. Returns { stop() }.
  async function capture(ctx, stream, emit) {
    const mic = ctx.createMediaStreamSource(stream);
    const sink = ctx.createGain();
    sink.gain.value = 0;
    sink.connect(ctx.destination);
    let node = null;
    if (ctx.audioWorklet && typeof AudioWorkletNode === "function") {
      // This very file (allowed by script-src <gateway>; cross-origin needs CORS), then a blob: URL
      // (needs script-src blob:), else the ScriptProcessorNode below.
      const sources = [() => SELF, () => URL.createObjectURL(new Blob(
        ["const makeDownsampler = " + makeDownsampler + ";\n(" + workletMain + ")();"], { type: "application/javascript" }))];
      for (const source of sources) {
        const url = source();
        if (!url) continue;
        try {
          await ctx.audioWorklet.addModule(url);
          node = new AudioWorkletNode(ctx, "muni-capture", { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: "explicit" });
          node.port.onmessage = (event) => emit(event.data);
          break;
        } catch (e) {
          node = null;
        } finally {
          if (url.startsWith("blob:")) URL.revokeObjectURL(url);
        }
      }
    }
    if (!node) {
      const push = makeDownsampler(ctx.sampleRate, 16000, 640, emit);
      node = ctx.createScriptProcessor(2048, 1, 1);
      node.onaudioprocess = (event) => push(event.inputBuffer.getChannelData(0));
    }
    mic.connect(node);
    node.connect(sink); // silent, but keeps the node processing
    return {
      stop() {
        node.disconnect(); node.onaudioprocess = null;
        if (node.port) node.port.onmessage = null;
        mic.disconnect();
      },
    };
  }

  window.MuniMic = Object.freeze({ capture });
})();
