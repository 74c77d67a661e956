// The chat page "/" (static/chat.html): no inline code, so the page runs under a strict CSP.
// The conversation id ("sender") and its token come from the gateway's first answer and are kept in
// sessionStorage; every later message sends both (README "Web chat API").
(() => {
  "use strict";
  const KEY = "muni-chat";
  const log = document.getElementById("log");
  let session = null;
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY));
    if (stored && typeof stored.sender === "string" && typeof stored.token === "string") session = stored;
  } catch (e) { /* storage unavailable or garbled: a new conversation */ }

  function keep(next) {
    session = next;
    try {
      if (next) sessionStorage.setItem(KEY, JSON.stringify(next)); else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage blocked: the conversation lives on in this page only */ }
  }
  function add(text, cls) {
    const div = document.createElement("div");
    div.className = cls; div.textContent = text; log.appendChild(div);
    log.scrollTop = log.scrollHeight; return div;
  }
  async function post(message) {
    const body = { message, municipality: document.getElementById("municipality").value };
    if (session) { body.sender = session.sender; body.token = session.token; }
    const response = await fetch("/api/chat", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (response.status === 403 && data.error_code === "session" && session) {
      keep(null); // this conversation is no longer recognised (new server secret): start a new one
      return post(message);
    }
    return data;
  }
  async function send(message, shown) {
    add(shown || message, "me");
    try {
      const data = await post(message);
      if (typeof data.sender === "string" && typeof data.token === "string") keep({ sender: data.sender, token: data.token });
      for (const m of data.messages || []) {
        const div = add(m.text || "", "bot");
        for (const b of m.buttons || []) {
          const button = document.createElement("button");
          button.type = "button"; button.textContent = b.title;
          button.addEventListener("click", () => send(b.payload, b.title));
          div.appendChild(document.createElement("br")); div.appendChild(button);
        }
      }
      if (data.handoff) add("En medarbejder har fået besked: " + data.handoff.summary, "bot handoff");
      if (data.error && !data.messages) add(data.error, "bot");
    } catch (error) {
      add("Forbindelsen til assistenten blev afbrudt. Prøv igen.", "bot");
    }
  }
  document.getElementById("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    if (input.value.trim()) { send(input.value.trim()); input.value = ""; }
  });
})();
