/*! Muni: chat widget and town-hall kiosk for the municipality's digital assistant.
 * Vanilla JS, no dependencies, no build step, CSP-safe (no eval, no inline styles or handlers).
 * Embedding, data- attributes, CSP and kiosk setup: docs/widget.md.
 * The microphone capture (muni-mic.js, shared with the /ring page) is loaded on first use.
 */
(() => {
  "use strict";

  if (window.MuniWidget) return; // loaded twice

  // ---- configuration from the script tag ---------------------------------------------------------
  const script = document.currentScript || document.querySelector('script[src*="muni-widget.js"]');
  const data = (script && script.dataset) || {};
  const query = new URLSearchParams(location.search);
  const KIOSK = data.mode === "kiosk";
  const SCRIPT_URL = new URL((script && script.src) || "widget/muni-widget.js", location.href);
  const BASE = (data.gateway || SCRIPT_URL.origin + SCRIPT_URL.pathname.replace(/\/(widget\/)?[^/]*$/, ""))
    .replace(/\/+$/, "");
  const WS_URL = BASE.replace(/^http/i, "ws") + "/voice/browser";
  const QUERY = SCRIPT_URL.search && !data.gateway ? SCRIPT_URL.search : ""; // e.g. a version, for our other files
  const ID_RE = /^[a-z0-9_-]{1,64}$/;
  const wantedMunicipality = data.municipality || (KIOSK ? query.get("municipality") : "") || "";
  const MUNICIPALITY = ID_RE.test(wantedMunicipality) ? wantedMunicipality : "";
  const CHANNEL = KIOSK ? "kiosk" : "web";
  const INACTIVITY_S = Math.max(2, Number(data.inactivitySeconds || query.get("inactivity")) || 90);
  const WARN_S = Math.min(15, INACTIVITY_S / 3);
  const TITLE = data.title || "Kommunens digitale assistent";
  const KEY = KIOSK ? "muni-kiosk" : "muni-widget";
  const MAX_AGE_MS = KIOSK ? INACTIVITY_S * 1000 : 60 * 60 * 1000;
  const JSON_HEADERS = { "Content-Type": "application/json" };
  const history_ = window.history; // "history" below is the conversation
  const GOODBYE = /tak for snakken|hav en (rigtig )?god dag|\bfarvel\b/i;
  const LINK = /\bhttps?:\/\/[^\s<>"']+|(?:[a-z0-9æøåäöü](?:[a-z0-9æøåäöü-]*[a-z0-9æøåäöü])?\.)+(?:dk|com|org|net|eu|info|nu|gov|int|io|se|no|de|fo|gl)(?![a-z0-9æøåäöü-])(?:[/?#][^\s<>"']*)?/gi;
  const T = {
    dialog: "Chat med kommunens digitale assistent",
    open: "Chat med kommunens digitale assistent",
    input: "Skriv din besked",
    send: "Send",
    restart: "Start forfra",
    handoff: "Tal med en medarbejder",
    close: "Luk",
    read: "Læs op",
    readStop: "Stop oplæsning",
    talk: KIOSK ? "Hold for at tale" : "Tal",
    talkStop: KIOSK ? "Jeg lytter … slip, når du er færdig" : "Stop",
    offline: "Forbindelsen er afbrudt. Jeg prøver igen …",
    welcome: KIOSK
      ? "Hej! Jeg er kommunens digitale assistent. Skriv dit spørgsmål herunder."
      : "Hej! Jeg er kommunens digitale assistent, et computerprogram. Skriv dit spørgsmål, så prøver jeg at hjælpe. Skriv ikke CPR-nummer eller helbredsoplysninger her.",
    welcomeVoice: "Hej! Jeg er kommunens digitale assistent. Hold knappen nede og sig, hvad du vil have hjælp til, eller skriv dit spørgsmål.",
    rating: "Fik du svar på dit spørgsmål?",
    thanks: "Tak for din vurdering!",
  };

  // ---- small helpers -------------------------------------------------------------------------------
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (typeof v === "function") e.addEventListener(k, v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids) if (kid != null) e.append(kid);
    return e;
  }
  function icon(d) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    const path = document.createElementNS(NS, "path");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["aria-hidden", "true"], ["focusable", "false"], ["class", "muni-icon"]]) svg.setAttribute(k, v);
    path.setAttribute("d", d); path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }
  const ICON_CHAT = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6V9zm8 5H6v-2h8v2zm4-6H6V6h12v2z";
  const ICON_X = "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z";
  const ICON_MIC = "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5.3-3a5.3 5.3 0 0 1-10.6 0H5c0 3.4 2.7 6.2 6 6.7V21h2v-3.3c3.3-.5 6-3.3 6-6.7h-1.7z";
  const pad = (n) => String(n).padStart(2, "0");
  const hhmm = (ts) => { const d = new Date(ts); return pad(d.getHours()) + ":" + pad(d.getMinutes()); };
  // The conversation id ("sender") and its token are issued by the gateway (first /api/chat answer, or
  // /api/session before a first spoken turn) and sent with every later request.
  const validSession = (s, t) => typeof s === "string" && /^web-[A-Za-z0-9_-]{22}$/.test(s) &&
    typeof t === "string" && /^[A-Za-z0-9_-]{43}$/.test(t);
  const post = (path, body, extra) => fetch(BASE + path, Object.assign({
    method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body), credentials: "omit", mode: "cors",
  }, extra));

  // WCAG contrast of the accent colour: text on it (>= 4.5:1) and accent-coloured text on light backgrounds.
  function rgb(hex) {
    const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex || "").trim());
    if (!m) return null;
    const h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  }
  function luminance(c) {
    const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a, b) {
    const x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  const darker = (c) => c.map((v) => Math.floor(v * 0.9));
  const hex = (c) => "#" + c.map((v) => pad(v.toString(16))).join("");
  function accentColours(wanted) {
    const WHITE = [255, 255, 255], DARK = [26, 26, 26], BUBBLE = [238, 242, 247];
    let bg = rgb(wanted) || [0, 90, 140];
    let on = WHITE;
    if (contrast(bg, WHITE) < 4.5) {
      if (contrast(bg, DARK) >= 4.5) on = DARK;
      else while (contrast(bg, WHITE) < 4.5) bg = darker(bg);
    }
    let text = bg;
    while (contrast(text, BUBBLE) < 4.5) text = darker(text);
    return { "--muni-accent": hex(bg), "--muni-on-accent": hex(on), "--muni-accent-text": hex(text) };
  }

  // ---- state (kept in sessionStorage so it survives page navigations) -------------------------------
  let sender, token, history, queue, rating, isOpen, epoch = 0;
  let inflight = null, retryTimer = null, retryDelay = 1000, voiceWaiting = false, lastInput = Date.now();
  let ratingBox = null, voiceAvailable = false;

  function load() {
    try {
      const s = JSON.parse(sessionStorage.getItem(KEY));
      if (s && s.v === 2 && s.municipality === MUNICIPALITY && (s.sender === null || validSession(s.sender, s.token)) &&
          Date.now() - s.at < MAX_AGE_MS &&
          Array.isArray(s.history) && Array.isArray(s.queue)) return s;
    } catch (e) { /* storage unavailable or garbled: start afresh */ }
    return null;
  }
  function save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({
        v: 2, sender, token, municipality: MUNICIPALITY, history, queue, rating, open: isOpen, at: Date.now(),
      }));
    } catch (e) { /* storage full or blocked: the conversation lives on in this page only */ }
  }
  function wipeStorage() { try { sessionStorage.removeItem(KEY); } catch (e) { /* blocked */ } }

  // ---- DOM -----------------------------------------------------------------------------------------
  let host, shadow, root, launcher, bubble, win, log, scroller, welcome, welcomeText, typing, slot, statusLine, voiceLine,
    announcer, countdown, form, input, micButton, micLabel;

  function build() {
    host = el("muni-widget", { id: "muni-widget-root" });
    shadow = host.attachShadow({ mode: "open" });
    const link = el("link", { rel: "stylesheet", href: BASE + "/widget/muni-widget.css" + QUERY });
    root = el("div", { class: "muni-root" + (KIOSK ? " muni-kiosk" : "") + (data.position === "left" ? " muni-left" : ""), hidden: true });
    const reveal = () => { root.hidden = false; };
    link.addEventListener("load", reveal); link.addEventListener("error", reveal);
    setTimeout(reveal, 3000);
    for (const [k, v] of Object.entries(accentColours(data.accent))) root.style.setProperty(k, v);

    announcer = el("div", { class: "muni-sr", "aria-live": "polite" });
    if (!KIOSK) {
      launcher = el("button", {
        type: "button", class: "muni-launcher", "data-testid": "muni-open", "aria-label": T.open,
        "aria-expanded": "false", "aria-controls": "muni-window", click: () => (isOpen ? close() : open()),
      }, icon(ICON_CHAT), icon(ICON_X));
      bubble = el("div", { class: "muni-bubble", hidden: true });
    }
    const title = el(KIOSK ? "h1" : "h2", { class: "muni-title", id: "muni-title", text: TITLE });
    const header = el("div", { class: "muni-header" }, title,
      KIOSK ? null : el("button", { type: "button", class: "muni-btn muni-close", "data-testid": "muni-close", text: T.close, click: close }));
    const toolbar = el("div", { class: "muni-toolbar" },
      el("button", { type: "button", class: "muni-btn", "data-testid": "muni-handoff", text: T.handoff, click: () => { send("/human_handoff", T.handoff); focusInput(); } }),
      el("button", { type: "button", class: "muni-btn", "data-testid": "muni-restart", text: T.restart, click: () => { restart(); announce("Ny samtale startet."); focusInput(); } }));
    welcomeText = el("p", { text: T.welcome });
    welcome = el("div", { class: "muni-welcome", "data-testid": "muni-welcome" },
      KIOSK ? el("p", { class: "muni-welcome-title", text: "Ny samtale" }) : null, welcomeText);
    log = el("div", { class: "muni-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Samtale", "data-testid": "muni-log" });
    typing = el("div", { class: "muni-typing", "data-testid": "muni-typing", hidden: true },
      el("span", { class: "muni-dot" }), el("span", { class: "muni-dot" }), el("span", { class: "muni-dot" }),
      el("span", { class: "muni-sr", text: "Assistenten skriver …" }));
    slot = el("div", { class: "muni-slot" });
    scroller = el("div", { class: "muni-scroll" }, welcome, log, typing, slot);
    statusLine = el("div", { class: "muni-status", role: "status", "data-testid": "muni-status" });
    voiceLine = el("div", { class: "muni-voice-status", "aria-live": "polite", "data-testid": "muni-voice-status" });
    micLabel = el("span", { class: "muni-mic-label", text: T.talk });
    micButton = el("button", {
      type: "button", class: "muni-mic" + (KIOSK ? " muni-talk" : " muni-btn"), "data-testid": "muni-mic", "aria-pressed": "false",
    }, icon(ICON_MIC), micLabel);
    input = el("textarea", {
      id: "muni-input", class: "muni-input", "data-testid": "muni-input", rows: "1", maxlength: "2000",
      placeholder: T.input + " …", autocomplete: "off", enterkeyhint: "send",
    });
    form = el("form", { class: "muni-form", novalidate: true },
      el("label", { class: "muni-sr", for: "muni-input", text: T.input }), input,
      KIOSK ? null : micButton,
      el("button", { type: "submit", class: "muni-btn muni-btn-primary muni-send", "data-testid": "muni-send", text: T.send }));
    if (KIOSK) {
      countdown = el("button", { type: "button", class: "muni-countdown", "data-testid": "muni-countdown", hidden: true, click: activity });
    }
    win = el("div", {
      class: "muni-window", id: "muni-window", role: "dialog", "aria-label": T.dialog, "data-testid": "muni-window", hidden: !KIOSK,
    }, header, toolbar, scroller, statusLine, voiceLine, countdown, KIOSK ? micButton : null, form);
    root.append(...[announcer, launcher, bubble, win].filter(Boolean));
    shadow.append(link, root);
    (document.body || document.documentElement).append(host);

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (send(input.value)) input.value = "";
      grow();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true })); }
    });
    input.addEventListener("input", grow);
    win.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !KIOSK) { e.preventDefault(); e.stopPropagation(); close(); }
    });
    wireMic();
  }

  function grow() { // the message field grows with its text (CSSOM, allowed by CSP)
    input.style.height = "";
    if (win.hidden || !input.value) return;
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, 200) + "px";
  }
  function focusInput() { if (!KIOSK) input.focus(); }
  function announce(text) {
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 50);
  }
  function setStatus(text) { if (statusLine.textContent !== text) statusLine.textContent = text; }
  function voiceStatus(text) { if (voiceLine.textContent !== text) voiceLine.textContent = text; }
  function scrollDown() {
    scroller.scrollTop = scroller.scrollHeight;
    // Very low screens (400 % zoom): the whole window scrolls; keep the newest message and the field in view.
    if (win.scrollHeight > win.clientHeight && getComputedStyle(win).overflowY !== "hidden") win.scrollTop = win.scrollHeight;
    else win.scrollTop = 0;
  }
  function updateTyping() { typing.hidden = !(inflight || voiceWaiting); if (!typing.hidden) scrollDown(); }
  function updateWelcome() { welcome.hidden = history.length > 0; }

  // Text with clickable http(s) links and bare domains (borger.dk -> https://borger.dk); DOM nodes only.
  function appendText(parent, text) {
    let last = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text))) {
      let url = m[0];
      const before = text[m.index - 1] || "";
      if (/[@\w/-]/.test(before)) continue; // part of an e-mail address or a longer word
      while (/[.,;:!?»"”')\]]$/.test(url) && !(url.endsWith(")") && url.includes("("))) url = url.slice(0, -1);
      let href = null;
      try {
        const parsed = new URL(/^https?:\/\//i.test(url) ? url : "https://" + url);
        if ((parsed.protocol === "https:" || parsed.protocol === "http:") && parsed.hostname.includes(".")) href = parsed.href;
      } catch (e) { /* not a URL after all */ }
      if (!href) continue;
      parent.append(text.slice(last, m.index));
      if (KIOSK) parent.append(el("span", { class: "muni-link", text: url }));
      else parent.append(el("a", { href, target: "_blank", rel: "noopener noreferrer" }, url, el("span", { class: "muni-sr", text: " (åbner i et nyt vindue)" })));
      last = m.index + url.length;
      LINK.lastIndex = last;
    }
    parent.append(text.slice(last));
  }

  function quickReplies(buttons) {
    return el("div", { class: "muni-quick", role: "group", "aria-label": "Svarmuligheder" },
      ...buttons.map((b) => el("button", {
        type: "button", class: "muni-btn muni-qr", "data-testid": "muni-quick-reply", text: b.title,
        click: () => { send(b.payload, b.title); focusInput(); },
      })));
  }
  function removeQuick() { for (const q of log.querySelectorAll(".muni-quick")) q.remove(); }

  const STATE_TEXT = { pending: "Sender …", retry: "Venter på forbindelsen …", failed: "Ikke sendt", sent: "" };
  function showState(node, entry) {
    node.dataset.state = entry.st;
    const span = node.querySelector(".muni-state");
    if (span) span.textContent = STATE_TEXT[entry.st] + (entry.st === "failed" && entry.err ? ": " + entry.err : "");
  }

  function render(entry, withButtons) {
    let node;
    if (entry.r === "n") {
      node = el("div", { class: "muni-notice", "data-testid": entry.k === "handoff" ? "muni-handoff-notice" : "muni-notice" });
      appendText(node, entry.t);
    } else {
      const bot = entry.r === "b";
      const text = el("div", { class: "muni-text" });
      if (bot) appendText(text, entry.t); else text.textContent = entry.t;
      const meta = el("div", { class: "muni-meta" }, el("time", { datetime: new Date(entry.ts).toISOString(), text: hhmm(entry.ts) }));
      if (bot && entry.t.trim()) {
        const read = el("button", { type: "button", class: "muni-read", "data-testid": "muni-read-aloud", text: T.read });
        read.addEventListener("click", () => readAloud(entry.t, read));
        meta.append(read);
      }
      if (!bot) meta.append(el("span", { class: "muni-state" }));
      node = el("div", {
        class: "muni-msg " + (bot ? "muni-bot" : "muni-user"), "data-testid": "muni-message", "data-role": bot ? "bot" : "user",
        "data-mid": entry.id,
      }, el("span", { class: "muni-sr", text: bot ? "Assistenten: " : "Du: " }), text, meta);
      if (bot && withButtons && entry.b && entry.b.length) node.append(quickReplies(entry.b));
      if (!bot) showState(node, entry);
    }
    log.append(node);
  }

  function renderAll() {
    log.textContent = "";
    let lastUser = -1;
    history.forEach((e, i) => { if (e.r === "u") lastUser = i; });
    history.forEach((e, i) => render(e, i > lastUser));
    updateWelcome();
    scrollDown();
  }

  function addEntry(entry) {
    history.push(entry);
    if (history.length > 200) history.splice(0, history.length - 200);
    render(entry, true);
    updateWelcome();
    save();
    scrollDown();
  }

  function setEntryState(id, st, err) {
    const entry = history.find((e) => e.id === id);
    if (!entry) return;
    entry.st = st;
    if (err) entry.err = err;
    const node = log.querySelector('[data-mid="' + id + '"]');
    if (node) showState(node, entry);
  }

  // ---- sending: a queue that is kept until each message is delivered --------------------------------
  function send(text, shown) {
    const message = String(text == null ? "" : text).trim().slice(0, 2000);
    if (!message) return false;
    removeQuick();
    const id = "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    queue.push({ id, m: message });
    addEntry({ r: "u", id, t: String(shown || message).slice(0, 2000), ts: Date.now(), st: "pending" });
    lastInput = Date.now();
    pump();
    return true;
  }

  async function pump() {
    if (inflight || retryTimer || !queue.length) return;
    const item = queue[0];
    const ctrl = new AbortController();
    inflight = ctrl;
    updateTyping();
    const timer = setTimeout(() => ctrl.abort(), 30000);
    let response = null, body = null;
    const held = sender;
    try {
      response = await post("/api/chat", {
        sender: held || undefined, token: held ? token : undefined, message: item.m,
        municipality: MUNICIPALITY || undefined, channel: CHANNEL,
      }, { signal: ctrl.signal });
      try { body = await response.json(); } catch (e) { body = null; }
    } catch (e) {
      response = null;
    }
    clearTimeout(timer);
    if (inflight !== ctrl) return; // "Start forfra" meanwhile
    inflight = null;
    const status = response ? response.status : 0;
    if (status === 403 && held && body && body.error_code === "session") {
      if (sender === held) { sender = token = null; save(); } // not recognised (new server secret): a new conversation
      updateTyping();
      pump();
      return;
    }
    if (response && response.ok && body && typeof body === "object") {
      if (!sender && !held && validSession(body.sender, body.token)) { sender = body.sender; token = body.token; }
      queue.shift();
      retryDelay = 1000;
      setStatus("");
      setEntryState(item.id, "sent");
      botMessages(Array.isArray(body.messages) ? body.messages : [], body.handoff);
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      queue.shift(); // the gateway refused this message (400/413): retrying would not help
      setStatus("");
      setEntryState(item.id, "failed", (body && typeof body.error === "string" && body.error) || "Beskeden kunne ikke sendes.");
      save();
    } else {
      setEntryState(item.id, "retry");
      setStatus(T.offline);
      retryTimer = setTimeout(() => { retryTimer = null; pump(); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
      save();
    }
    updateTyping();
    pump();
  }

  function retryNow() {
    if (!retryTimer) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    pump();
  }

  function botMessages(messages, handoff) {
    let goodbye = false;
    for (const m of messages) {
      if (!m || typeof m !== "object") continue;
      const buttons = (Array.isArray(m.buttons) ? m.buttons : [])
        .filter((b) => b && (b.title || b.payload))
        .map((b) => ({ title: String(b.title || b.payload), payload: String(b.payload || b.title) }));
      const text = typeof m.text === "string" ? m.text : "";
      if (!text && !buttons.length) continue;
      addEntry({ r: "b", t: text, b: buttons.length ? buttons : undefined, ts: Date.now() });
      if (GOODBYE.test(text)) goodbye = true;
    }
    lastInput = Date.now();
    if (handoff && typeof handoff === "object") handoffNotice(handoff);
    else if (goodbye) askRating(false);
  }

  function handoffNotice(handoff) {
    if (history.length && history[history.length - 1].k === "handoff") return;
    const phone = typeof handoff.contact_phone === "string" ? handoff.contact_phone : "";
    addEntry({
      r: "n", k: "handoff", ts: Date.now(),
      t: "Du kan tale med en medarbejder hos kommunen. " +
        (phone ? "Ring til Borgerservice på " + phone + "." : "Se hvordan i svaret ovenfor.") +
        (KIOSK ? " Du kan også henvende dig i Borgerservice her i huset." : ""),
    });
    askRating(false);
  }

  // ---- rating ------------------------------------------------------------------------------------
  const exchanged = () => history.some((e) => e.r === "u" && e.st === "sent") && history.some((e) => e.r === "b");

  function askRating(fromClose) {
    if (rating) return;
    rating = "asked";
    save();
    ratingBox = buildRating();
    placeRating(fromClose);
    announce(T.rating);
  }

  function placeRating(fromClose) {
    if (!ratingBox) { if (bubble) bubble.hidden = true; return; }
    if (isOpen || KIOSK) {
      slot.append(ratingBox);
      if (bubble) bubble.hidden = true;
      scrollDown();
    } else if (fromClose && bubble) {
      bubble.append(ratingBox);
      bubble.hidden = false;
    }
  }

  function buildRating() {
    const box = el("div", { class: "muni-rating", role: "group", "aria-labelledby": "muni-rating-q", "data-testid": "muni-rating" });
    const row = el("div", { class: "muni-row" },
      el("button", { type: "button", class: "muni-btn", "data-testid": "muni-rating-yes", text: "Ja", click: () => rate(box, "yes", "") }),
      el("button", { type: "button", class: "muni-btn", "data-testid": "muni-rating-no", text: "Nej", click: () => askComment(box, row) }));
    box.append(el("p", { class: "muni-rating-q", id: "muni-rating-q", text: T.rating }), row,
      el("button", {
        type: "button", class: "muni-rating-dismiss", "data-testid": "muni-rating-close", "aria-label": "Luk spørgsmålet",
        click: () => { rating = "done"; save(); box.remove(); ratingBox = null; if (bubble) bubble.hidden = true; if (launcher) launcher.focus(); },
      }, icon(ICON_X)));
    return box;
  }

  function askComment(box, row) {
    const comment = el("textarea", { id: "muni-rating-comment", class: "muni-input", "data-testid": "muni-rating-comment", rows: "2", maxlength: "500" });
    const part = el("div", { class: "muni-comment" },
      el("label", { for: "muni-rating-comment", text: "Hvad manglede du? (valgfrit, skriv ikke personlige oplysninger)" }), comment,
      el("div", { class: "muni-row" },
        el("button", { type: "button", class: "muni-btn muni-btn-primary", "data-testid": "muni-rating-send", text: "Send", click: () => rate(box, "no", comment.value) }),
        el("button", { type: "button", class: "muni-btn", "data-testid": "muni-rating-skip", text: "Spring over", click: () => rate(box, "no", "") })));
    row.replaceWith(part);
    comment.focus();
  }

  function rate(box, value, comment) {
    rating = "done";
    save();
    const body = { sender, token, rating: value };
    if (comment.trim()) body.comment = comment.trim().slice(0, 500);
    if (sender) post("/api/rating", body, { keepalive: true }).catch(() => { /* a lost rating is not worth bothering the citizen */ });
    const thanks = el("p", { class: "muni-thanks", tabindex: "-1", "data-testid": "muni-rating-thanks", text: T.thanks });
    box.replaceChildren(thanks);
    thanks.focus();
    setTimeout(() => {
      if (ratingBox !== box) return;
      const hadFocus = shadow.activeElement === thanks;
      box.remove(); ratingBox = null;
      if (bubble) bubble.hidden = true;
      if (hadFocus) (isOpen ? focusInput() : launcher && launcher.focus());
    }, 6000);
  }

  async function ensureSession() { // a conversation id and token from the gateway, when there is none yet
    if (sender) return true;
    const before = epoch;
    try {
      const response = await post("/api/session", {});
      const body = response.ok ? await response.json() : null;
      if (epoch !== before) return false; // started over meanwhile
      if (!sender && body && validSession(body.sender, body.token)) { sender = body.sender; token = body.token; save(); }
    } catch (e) { /* offline: the caller says so */ }
    return !!sender;
  }

  // ---- open, close, start over ---------------------------------------------------------------------
  function open(focus = true) {
    if (!isOpen) {
      isOpen = true;
      win.hidden = false;
      if (launcher) launcher.setAttribute("aria-expanded", "true");
      root.classList.add("muni-is-open");
      placeRating(false);
      save();
      scrollDown();
    }
    if (focus) focusInput();
  }

  function close() {
    if (KIOSK || !isOpen) return;
    isOpen = false;
    win.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("muni-is-open");
    endVoice(true);
    stopReadAloud();
    if (!rating && exchanged()) askRating(true);
    else if (ratingBox && rating === "asked") placeRating(true);
    save();
    launcher.focus();
  }

  function restart() {
    endVoice(true);
    stopReadAloud();
    if (inflight) inflight.abort();
    inflight = null;
    clearTimeout(retryTimer);
    retryTimer = null;
    retryDelay = 1000;
    voiceWaiting = false;
    sender = token = null; // the gateway issues the next conversation's id with its first answer
    epoch++;
    history = [];
    queue = [];
    rating = "";
    if (ratingBox) ratingBox.remove();
    ratingBox = null;
    if (bubble) bubble.hidden = true;
    setStatus("");
    voiceStatus("");
    if (KIOSK) { input.value = ""; grow(); hideCountdown(); }
    wipeStorage();
    renderAll();
    updateTyping();
    lastInput = Date.now();
    if (!KIOSK) save();
  }

  // ---- read aloud (POST /api/tts -> audio/wav in a blob: URL) --------------------------------------
  let reading = null; // {button, audio, url}

  function stopReadAloud() {
    const r = reading;
    reading = null;
    if (!r) return;
    if (r.audio) { r.audio.pause(); r.audio.removeAttribute("src"); }
    if (r.url) URL.revokeObjectURL(r.url);
    r.button.textContent = T.read;
  }

  async function readAloud(text, button) {
    const same = reading && reading.button === button;
    stopReadAloud();
    if (same) return;
    endVoice(true);
    const r = { button, audio: null, url: null };
    reading = r;
    button.textContent = T.readStop;
    try {
      if (!(await ensureSession()) || reading !== r) throw new Error("no conversation");
      const response = await post("/api/tts", { sender, token, text: text.slice(0, 1000) });
      if (response.status === 503) setVoice(false);
      if (!response.ok) throw new Error("tts " + response.status);
      const blob = await response.blob();
      if (reading !== r) return;
      r.url = URL.createObjectURL(blob);
      r.audio = new Audio(r.url);
      r.audio.addEventListener("ended", () => { if (reading === r) { stopReadAloud(); lastInput = Date.now(); } });
      await r.audio.play();
    } catch (e) {
      if (reading === r) { stopReadAloud(); announce("Svaret kunne ikke læses op lige nu."); }
    }
  }

  function setVoice(on) {
    voiceAvailable = on;
    root.classList.toggle("muni-voice", on);
    const micOk = on && window.isSecureContext !== false && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) &&
      !!(window.AudioContext || window.webkitAudioContext) && typeof WebSocket === "function";
    root.classList.toggle("muni-mic-ok", micOk);
    if (KIOSK) welcomeText.textContent = micOk ? T.welcomeVoice : T.welcome;
    if (!on) { stopReadAloud(); endVoice(false); }
  }

  // ---- microphone: browser voice over the WebSocket, same conversation id as the chat ---------------
  let vs = null, vsOpening = null, wantTalk = false, opening = null;

  function updateMic() {
    const on = wantTalk;
    micButton.setAttribute("aria-pressed", on ? "true" : "false");
    micButton.classList.toggle("muni-active", on);
    micLabel.textContent = on ? T.talkStop : T.talk;
  }

  async function talkStart() {
    if (!voiceAvailable) return;
    wantTalk = true;
    updateMic();
    stopReadAloud();
    lastInput = Date.now();
    if (!vs) {
      if (!opening) opening = openVoice().finally(() => { opening = null; });
      const s = await opening;
      if (!s) { wantTalk = false; updateMic(); return; }
    }
    if (!vs) return;
    if (vs.ctx.state === "suspended") vs.ctx.resume();
    vs.capturing = wantTalk;
    vs.last = Date.now();
    voiceStatus(wantTalk ? "Jeg lytter …" : "");
  }

  function talkStop() {
    wantTalk = false;
    updateMic();
    lastInput = Date.now();
    const s = vs || vsOpening;
    if (!s) return;
    if (s.ctx.state === "suspended") s.ctx.resume(); // a touch press is a user activation only on release
    if (!s.capturing) return;
    s.capturing = false;
    s.last = Date.now();
    for (let i = 0; i < 30; i++) sendFrame(s, new ArrayBuffer(1280)); // 1.2 s of silence ends the utterance
    voiceStatus("Et øjeblik …");
  }

  function wireMic() {
    if (!KIOSK) {
      micButton.addEventListener("click", () => (wantTalk ? talkStop() : talkStart()));
      return;
    }
    // Kiosk: press and hold (mouse, touch, Space); Enter toggles.
    micButton.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      try { micButton.setPointerCapture(e.pointerId); } catch (err) { /* not capturable */ }
      talkStart();
    });
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) micButton.addEventListener(type, () => { if (wantTalk) talkStop(); });
    micButton.addEventListener("keydown", (e) => {
      if (e.key === " " || e.key === "Spacebar") { e.preventDefault(); if (!e.repeat && !wantTalk) talkStart(); }
      else if (e.key === "Enter") { e.preventDefault(); if (!e.repeat) (wantTalk ? talkStop() : talkStart()); }
    });
    micButton.addEventListener("keyup", (e) => {
      if (e.key === " " || e.key === "Spacebar") { e.preventDefault(); talkStop(); }
    });
    micButton.addEventListener("blur", () => { if (wantTalk) talkStop(); });
    micButton.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  function sendFrame(s, buffer) {
    const ws = s.ws;
    if (ws && ws.readyState === WebSocket.OPEN) { if (ws.bufferedAmount < 256 * 1024) ws.send(buffer); }
    else if (s.pending.length < 100) s.pending.push(buffer); // until the socket is open (at most 4 s)
  }

  async function openVoice() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    const media = navigator.mediaDevices;
    if (!Ctx || !media || !media.getUserMedia) {
      voiceStatus("Din browser giver ikke adgang til mikrofonen her.");
      return null;
    }
    const s = { ctx: new Ctx(), capturing: false, pending: [], sources: new Set(), marks: [], playHead: 0, last: Date.now() };
    s.ctx.resume().catch(() => {});
    vsOpening = s;
    voiceStatus("Giv siden adgang til mikrofonen …");
    const mic = loadMic(); // loads while the citizen answers the permission prompt
    const session = ensureSession(); // a conversation id (and token) for the spoken turns, if there is none yet
    const owner = epoch;
    try {
      s.stream = await media.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      const capture = (await mic).capture;
      if (!s.dead) s.capture = await capture(s.ctx, s.stream, (buffer) => { if (s.capturing) sendFrame(s, buffer); });
    } catch (e) {
      if (!s.dead) voiceStatus(s.stream ? "Mikrofonen kunne ikke startes." : "Du skal give siden adgang til mikrofonen for at tale med assistenten.");
      s.failed = true;
    }
    if (!s.failed && !s.dead && !(await session)) { voiceStatus("Forbindelsen til assistenten fejlede. Prøv igen om lidt."); s.failed = true; }
    if (vsOpening === s) vsOpening = null;
    if (s.failed || s.dead || epoch !== owner || !voiceAvailable) { // failed, or stopped / started over meanwhile
      if (!s.failed) voiceStatus("");
      teardown(s, false);
      return null;
    }
    const ws = new WebSocket(WS_URL + (MUNICIPALITY ? "?municipality=" + encodeURIComponent(MUNICIPALITY) : ""));
    s.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "start", municipality: MUNICIPALITY || undefined, conversation_id: sender, token }));
      for (const buffer of s.pending) ws.send(buffer);
      s.pending = [];
    };
    ws.onmessage = (event) => onVoiceMessage(s, event);
    ws.onerror = () => { s.failed = true; voiceStatus("Forbindelsen til assistenten fejlede. Prøv igen om lidt."); };
    ws.onclose = () => { if (vs === s) endVoice(false, true, s.failed); };
    s.timer = setInterval(() => voiceTick(s), 100);
    vs = s;
    return s;
  }
  let micScript = null;
  function loadMic() { // the shared microphone capture, muni-mic.js, once
    if (!micScript) {
      micScript = new Promise((resolve, reject) => {
        if (window.MuniMic) { resolve(window.MuniMic); return; }
        const failed = () => reject(new Error("muni-mic.js"));
        (document.head || document.documentElement).append(el("script", {
          src: BASE + "/widget/muni-mic.js" + QUERY, load: () => (window.MuniMic ? resolve(window.MuniMic) : failed()), error: failed,
        }));
      });
      micScript.catch(() => { micScript = null; }); // try again next time
    }
    return micScript;
  }

  const playing = (s) => s.playHead > s.ctx.currentTime;

  function voiceTick(s) {
    checkMarks(s);
    if (playing(s) || s.capturing) { s.last = Date.now(); lastInput = Date.now(); return; }
    if (!wantTalk && Date.now() - s.last > 7000) endVoice(true, true); // quiet for a while: hang up
  }

  function onVoiceMessage(s, event) {
    if (vs !== s) return;
    s.last = Date.now();
    if (typeof event.data !== "string") { play(s, event.data); return; }
    let m;
    try { m = JSON.parse(event.data); } catch (e) { return; }
    if (!m || typeof m !== "object") return;
    switch (m.type) {
      case "ready":
        if (s.capturing) voiceStatus("Jeg lytter …");
        break;
      case "transcript":
        if (typeof m.text === "string" && m.text.trim()) {
          removeQuick();
          addEntry({ r: "u", t: m.text.trim(), ts: Date.now(), st: "sent", voice: 1 });
          voiceWaiting = true;
          updateTyping();
        }
        break;
      case "reply":
        voiceWaiting = false;
        updateTyping();
        if (!s.capturing) voiceStatus("");
        botMessages(Array.isArray(m.messages) && m.messages.length ? m.messages : [{ text: String(m.text || "") }], null);
        break;
      case "clear":
        clearPlayback(s);
        break;
      case "mark":
        s.marks.push({ name: String(m.name), at: Math.max(s.playHead, s.ctx.currentTime) });
        checkMarks(s);
        break;
      case "transfer": {
        const t = m.transfer && typeof m.transfer === "object" ? m.transfer : {};
        handoffNotice(t.handoff && typeof t.handoff === "object" ? t.handoff : t);
        break;
      }
      case "hangup":
        s.ending = true;
        break;
      case "error":
        voiceStatus(String(m.message || ""));
        break;
    }
  }

  function sendJson(s, message) {
    if (s.ws && s.ws.readyState === WebSocket.OPEN) s.ws.send(JSON.stringify(message));
  }

  function play(s, arrayBuffer) { // gap-free scheduling of 16 kHz PCM16
    const pcm = new Int16Array(arrayBuffer.byteLength % 2 ? arrayBuffer.slice(0, -1) : arrayBuffer);
    if (!pcm.length) return;
    const buffer = s.ctx.createBuffer(1, pcm.length, 16000);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
    const source = s.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(s.ctx.destination);
    const now = s.ctx.currentTime;
    if (s.playHead < now) s.playHead = now + 0.06;
    source.start(s.playHead);
    s.playHead += buffer.duration;
    s.sources.add(source);
    source.onended = () => s.sources.delete(source);
  }

  function clearPlayback(s) {
    for (const source of s.sources) { try { source.stop(); } catch (e) { /* already stopped */ } }
    s.sources.clear();
    s.playHead = s.ctx.currentTime;
    for (const mark of s.marks) sendJson(s, { type: "mark", name: mark.name }); // nothing is left to play
    s.marks = [];
  }

  function checkMarks(s) {
    while (s.marks.length && s.marks[0].at <= s.ctx.currentTime) sendJson(s, { type: "mark", name: s.marks.shift().name });
  }

  function endVoice(tellServer, letAudioFinish, keepStatus) {
    if (vsOpening) { teardown(vsOpening, false); vsOpening = null; }
    const s = vs;
    wantTalk = false;
    updateMic();
    if (!s) return;
    vs = null;
    if (tellServer && s.ws && s.ws.readyState === WebSocket.OPEN) { sendJson(s, { type: "stop" }); s.stopSent = true; }
    teardown(s, letAudioFinish);
    voiceWaiting = false;
    updateTyping();
    if (!keepStatus) voiceStatus("");
  }

  function teardown(s, letAudioFinish) {
    if (s.stream) for (const track of s.stream.getTracks()) track.stop();
    if (s.dead) return;
    s.dead = true;
    clearInterval(s.timer);
    if (s.ws) {
      s.ws.onclose = s.ws.onmessage = s.ws.onerror = null;
      const ws = s.ws; // after "stop" the gateway closes the socket itself; close it here too if it does not
      if (ws.readyState <= WebSocket.OPEN) setTimeout(() => ws.close(), s.stopSent ? 1500 : 0);
    }
    if (s.capture) s.capture.stop();
    const remaining = letAudioFinish ? Math.max(0, s.playHead - s.ctx.currentTime) : 0;
    if (!letAudioFinish) for (const source of s.sources) { try { source.stop(); } catch (e) { /* stopped */ } }
    s.capturing = false;
    setTimeout(() => s.ctx.close().catch(() => {}), remaining * 1000 + 100);
  }

  // ---- kiosk: inactivity reset, no way to navigate away -------------------------------------------
  function activity() {
    lastInput = Date.now();
    hideCountdown();
  }
  function hideCountdown() { if (countdown && !countdown.hidden) countdown.hidden = true; }

  function kioskTick() {
    const busy = wantTalk || (vs && playing(vs)) || reading;
    const something = history.length || queue.length || input.value.trim() || ratingBox;
    if (busy) lastInput = Date.now();
    if (busy || !something) { hideCountdown(); return; }
    const left = INACTIVITY_S * 1000 - (Date.now() - lastInput);
    if (left <= 0) {
      restart();
      announce("Ny samtale");
      return;
    }
    if (left <= WARN_S * 1000) {
      const seconds = Math.ceil(left / 1000);
      const text = "Samtalen nulstilles om " + seconds + (seconds === 1 ? " sekund" : " sekunder") + " — tryk for at fortsætte";
      if (countdown.hidden) { countdown.hidden = false; announce(text); }
      if (countdown.textContent !== text) countdown.textContent = text;
    } else hideCountdown();
  }

  function kioskMode() {
    for (const type of ["pointerdown", "keydown", "input", "touchstart", "wheel"]) {
      window.addEventListener(type, activity, { capture: true, passive: true });
    }
    const editable = (e) => { const t = e.composedPath()[0]; return t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT"); };
    document.addEventListener("contextmenu", (e) => e.preventDefault());
    document.addEventListener("dragstart", (e) => e.preventDefault());
    document.addEventListener("selectstart", (e) => { if (!editable(e)) e.preventDefault(); });
    document.addEventListener("auxclick", (e) => e.preventDefault());
    try {
      history_.pushState({ muniKiosk: true }, "", location.href);
      window.addEventListener("popstate", () => history_.pushState({ muniKiosk: true }, "", location.href));
    } catch (e) { /* history blocked */ }
    setInterval(kioskTick, 250);
  }
  // ---- start -------------------------------------------------------------------------------------
  function init() {
    build();
    const stored = load();
    sender = stored ? stored.sender : null;
    token = stored ? stored.token : null;
    history = stored ? stored.history.filter((e) => e && typeof e === "object" && typeof e.t === "string") : [];
    queue = stored ? stored.queue.filter((q) => q && typeof q.m === "string" && typeof q.id === "string") : [];
    rating = stored && typeof stored.rating === "string" ? stored.rating : "";
    isOpen = KIOSK || (stored && typeof stored.open === "boolean" ? stored.open : data.open === "true");
    if (!KIOSK && !stored) wipeStorage();
    renderAll();
    if (rating === "asked") ratingBox = buildRating();
    if (isOpen) { isOpen = false; open(false); } // opened on load: focus stays on the host page
    for (const q of queue) setEntryState(q.id, "pending");
    setVoice(false);
    fetch(BASE + "/api/widget-config", { credentials: "omit", mode: "cors" })
      .then((r) => (r.ok ? r.json() : null))
      .then((config) => setVoice(!!(config && config.voice === true)))
      .catch(() => { /* no voice */ });
    window.addEventListener("online", retryNow);
    if (KIOSK) kioskMode();
    pump();
  }

  const ready = (fn) => (...args) => (root ? fn(...args) : undefined);
  window.MuniWidget = Object.freeze({
    open: ready(() => open()),
    close: ready(() => close()),
    restart: ready(() => restart()),
    send: ready((text) => { open(); return send(text); }),
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
