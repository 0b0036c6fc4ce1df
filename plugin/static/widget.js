/* dreamchat widget: one script tag, no framework on the host page.
 *
 *   <script src="https://YOUR-DREAMCHAT/widget.js" data-token="USER_TOKEN" async></script>
 *
 * data-token: a short-lived user token minted by the platform's backend (POST /v1/user-tokens).
 * data-api:   the dreamchat base URL (default: where this script came from).
 * data-title: the chat header (default "Photo studio"); data-open="true" starts opened.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-token][src*='widget.js']");
  if (!script || window.__dreamchat) return;
  window.__dreamchat = true;
  var API = (script.getAttribute("data-api") || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var TOKEN = script.getAttribute("data-token");
  var TITLE = script.getAttribute("data-title") || "Photo studio";
  var conversationId = null;
  var pending = [];  // [{file, url, uploadId, checks, el}]

  var css = "" +
    ".dc-bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;background:#5b3df5;color:#fff;" +
    "border:none;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center}" +
    ".dc-bubble svg{width:28px;height:28px;fill:currentColor}.dc-attach svg{width:20px;height:20px;fill:currentColor;vertical-align:middle}" +
    ".dc-panel{position:fixed;right:20px;bottom:88px;width:370px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 120px);" +
    "background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden;" +
    "font:14px/1.4 system-ui,sans-serif;color:#222;z-index:2147483000}" +
    ".dc-panel.dc-open{display:flex}.dc-head{background:#5b3df5;color:#fff;padding:12px 14px;font-weight:600}" +
    ".dc-log{flex:1;overflow-y:auto;padding:12px;background:#f6f5fb}" +
    ".dc-msg{margin:6px 0;padding:8px 11px;border-radius:12px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}" +
    ".dc-me{background:#5b3df5;color:#fff;margin-left:auto}.dc-bot{background:#fff;border:1px solid #e3e0f0}" +
    ".dc-imgs{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}.dc-imgs img{width:120px;height:120px;object-fit:cover;border-radius:8px;cursor:zoom-in}" +
    ".dc-progress{height:8px;background:#e3e0f0;border-radius:4px;overflow:hidden;margin-top:6px}.dc-progress>div{height:100%;background:#5b3df5;width:0;transition:width .3s}" +
    ".dc-tray{display:flex;gap:6px;flex-wrap:wrap;padding:6px 10px;border-top:1px solid #eee}.dc-tray:empty{display:none}" +
    ".dc-thumb{position:relative;width:54px}.dc-thumb img{width:54px;height:54px;object-fit:cover;border-radius:6px}" +
    ".dc-thumb .dc-bad{outline:3px solid #e5484d}.dc-thumb .dc-warn{outline:3px solid #f5a524}.dc-thumb small{display:block;font-size:10px;color:#b42318}" +
    ".dc-form{display:flex;gap:6px;padding:10px;border-top:1px solid #eee}.dc-form input[type=text]{flex:1;padding:8px;border:1px solid #ccc;border-radius:8px}" +
    ".dc-form button{border:none;background:#5b3df5;color:#fff;border-radius:8px;padding:0 12px;cursor:pointer}" +
    ".dc-attach{background:#ece9fb!important;color:#5b3df5!important}.dc-drop{outline:3px dashed #5b3df5;outline-offset:-6px}" +
    ".dc-view{position:fixed;inset:0;background:rgba(0,0,0,.8);display:flex;align-items:center;justify-content:center;flex-direction:column;z-index:2147483001}" +
    ".dc-view img{max-width:90vw;max-height:80vh;border-radius:8px}.dc-view a{color:#fff;margin-top:10px}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  // Icons are inline SVG: emoji glyphs depend on the fonts of the visitor's machine.
  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';
  var ICON_PHOTO = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"/></svg>';
  var bubble = el("button", "dc-bubble");
  bubble.innerHTML = ICON_CHAT;
  bubble.setAttribute("aria-label", "Open the photo studio chat");
  var panel = el("div", "dc-panel");
  panel.setAttribute("role", "dialog");
  var head = el("div", "dc-head", TITLE);
  var log = el("div", "dc-log");
  log.setAttribute("aria-live", "polite");
  var tray = el("div", "dc-tray");
  var form = el("form", "dc-form");
  var attach = el("button", "dc-attach");
  attach.innerHTML = ICON_PHOTO;
  attach.type = "button";
  attach.title = "Attach photos";
  attach.setAttribute("aria-label", "Attach photos");
  var picker = el("input");
  picker.type = "file"; picker.accept = "image/jpeg,image/png,image/webp"; picker.multiple = true; picker.hidden = true;
  var input = el("input");
  input.type = "text"; input.placeholder = "Message, or attach photos\u2026"; input.setAttribute("aria-label", "Message");
  var send = el("button", null, "Send");
  send.type = "submit";
  form.append(attach, picker, input, send);
  panel.append(head, log, tray, form);
  document.body.append(bubble, panel);
  bubble.onclick = function () { panel.classList.toggle("dc-open"); if (panel.classList.contains("dc-open")) input.focus(); };
  if (script.getAttribute("data-open") === "true") panel.classList.add("dc-open");

  function headers(json) {
    var h = { Authorization: "Bearer " + TOKEN };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }
  function say(text, who) {
    var m = el("div", "dc-msg " + (who === "me" ? "dc-me" : "dc-bot"), text);
    log.appendChild(m);
    log.scrollTop = log.scrollHeight;
    return m;
  }
  function showImages(msg, images) {
    if (!images || !images.length) return;
    var box = el("div", "dc-imgs");
    images.forEach(function (img) {
      var i = el("img");
      i.src = img.url; i.alt = "Generated image"; i.loading = "lazy";
      i.onclick = function () { view(img.url); };
      box.appendChild(i);
    });
    msg.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }
  function view(url) {
    var v = el("div", "dc-view");
    v.setAttribute("role", "dialog");
    var big = el("img"); big.src = url; big.alt = "Generated image, full size";
    var dl = el("a", null, "Download"); dl.href = url; dl.download = "dreamchat.png";
    v.append(big, dl);
    function close() { v.remove(); document.removeEventListener("keydown", onKey); }
    function onKey(e) { if (e.key === "Escape") close(); }
    v.onclick = function (e) { if (e.target !== dl) close(); };
    document.addEventListener("keydown", onKey);
    document.body.appendChild(v);
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files, function (file) {
      var item = { file: file, url: URL.createObjectURL(file), uploadId: null, checks: [] };
      var t = el("div", "dc-thumb");
      var img = el("img"); img.src = item.url; img.alt = file.name;
      var note = el("small", null, "uploading\u2026");
      t.append(img, note);
      tray.appendChild(t);
      item.el = t;
      pending.push(item);
      var body = new FormData();
      body.append("file", file);
      item.done = fetch(API + "/v1/uploads", { method: "POST", headers: headers(false), body: body })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (!res.ok) {
            img.className = "dc-bad";
            note.textContent = (res.body.error && res.body.error.message) || "rejected";
            item.rejected = true;
            return;
          }
          item.uploadId = res.body.upload_id;
          var warn = (res.body.checks || []).filter(function (c) { return !c.ok; });
          note.textContent = warn.length ? warn[0].message : "\u2713";
          if (warn.length) img.className = "dc-warn";
        })
        .catch(function () { note.textContent = "upload failed"; item.rejected = true; });
    });
  }
  attach.onclick = function () { picker.click(); };
  picker.onchange = function () { addFiles(picker.files); picker.value = ""; };
  ["dragenter", "dragover"].forEach(function (n) { panel.addEventListener(n, function (e) { e.preventDefault(); panel.classList.add("dc-drop"); }); });
  ["dragleave", "drop"].forEach(function (n) { panel.addEventListener(n, function (e) { e.preventDefault(); panel.classList.remove("dc-drop"); }); });
  panel.addEventListener("drop", function (e) { if (e.dataTransfer && e.dataTransfer.files) addFiles(e.dataTransfer.files); });

  // Pictures that take longer than the chat turn waits arrive later on the event stream, under
  // the reply that promised them. Their event can beat that reply here, so events that come
  // while a turn is in flight are kept until the reply says which generation it started.
  var waiting = {};   // generation id -> the reply message
  var early = {};     // generation id -> its event, seen during the turn
  var talking = false;
  function showGeneration(ev, msg) {
    if (ev.type === "generation.succeeded") showImages(msg, ev.image_urls);
    else say("Sorry, that picture didn't work: " + (ev.error || "please try again."), "bot");
  }
  function awaitGeneration(id, msg) {
    if (early[id]) showGeneration(early[id], msg);
    else waiting[id] = msg;
  }

  function turn(text, items) {
    var ids = items.filter(function (i) { return i.uploadId; }).map(function (i) { return i.uploadId; });
    var thinking = say("\u2026", "bot");
    talking = true;
    return fetch(API + "/v1/chat", {
      method: "POST", headers: headers(true),
      body: JSON.stringify({ message: text, conversation_id: conversationId, attachments: ids })
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (j.error) { thinking.textContent = j.error.message; return; }
      conversationId = j.conversation_id;
      thinking.textContent = j.reply;
      if (j.images && j.images.length) showImages(thinking, j.images);
      else if (j.generation_id) awaitGeneration(j.generation_id, thinking);
    }).catch(function () {
      thinking.textContent = "Sorry, I couldn't reach the server. Try again in a moment.";
    }).then(function () { talking = false; early = {}; });
  }

  // One turn at a time, in order: each needs the conversation id the one before it got.
  var turns = Promise.resolve();
  form.onsubmit = function (e) {
    e.preventDefault();
    var text = input.value.trim();
    var items = pending.slice();
    if (!text && !items.length) return;
    input.value = "";
    pending = [];
    tray.innerHTML = "";
    var mine = say(text || "(photos)", "me");
    if (items.length) showImages(mine, items.map(function (i) { return { url: i.url }; }));
    turns = turns
      .then(function () { return Promise.all(items.map(function (i) { return i.done; })); })
      .then(function () { return turn(text, items); });
  };

  // Live events: training progress bars, "ready" notices, images that finished after the reply.
  var bars = {};
  function connect() {
    if (!window.EventSource) return;
    var es = new EventSource(API + "/v1/events?token=" + encodeURIComponent(TOKEN));
    es.onmessage = function (m) { handle(JSON.parse(m.data)); };
    ["training.started", "training.progress", "training.succeeded", "training.failed", "training.cancelled",
     "generation.succeeded", "generation.failed", "chat.reply"].forEach(function (t) {
      es.addEventListener(t, function (m) { handle(JSON.parse(m.data)); });
    });
  }
  function barText(id, text) {
    if (bars[id]) bars[id].msg.firstChild.textContent = text;
  }
  function handle(ev) {
    var id = ev.training_id;
    if (ev.type === "training.started" && id && !bars[id]) {
      var msg = say("Training started\u2026", "bot");
      var bar = el("div", "dc-progress"); var fill = el("div");
      bar.appendChild(fill); msg.appendChild(bar);
      bars[id] = { msg: msg, fill: fill };
    } else if (ev.type === "training.progress" && id) {
      if (!bars[id]) handle({ type: "training.started", training_id: id });
      bars[id].fill.style.width = Math.round(ev.progress * 100) + "%";
      barText(id, "Training " + Math.round(ev.progress * 100) + "% \u2014 about " + Math.max(1, Math.round(ev.eta_seconds)) + " s left");
    } else if (ev.type === "training.succeeded") {
      if (bars[id]) bars[id].fill.style.width = "100%";
      barText(id, "Training done");
      say((ev.subject_name || "Your model") + " is ready! Ask me for a picture.", "bot");
    } else if (ev.type === "training.failed") {
      barText(id, "Training stopped");
      say("Training failed: " + (ev.error || "please try again."), "bot");
    } else if (ev.type === "training.cancelled") {
      barText(id, "Training cancelled");
      say("Training " + (ev.subject_name ? ev.subject_name + " " : "") + "was cancelled.", "bot");
    } else if (ev.type === "generation.succeeded" || ev.type === "generation.failed") {
      var msg = waiting[ev.generation_id];
      delete waiting[ev.generation_id];
      if (msg) showGeneration(ev, msg);
      else if (talking) early[ev.generation_id] = ev;
    }
  }
  connect();
  say("Hi! I make personalized pictures of your pets, yourself or your things. Tell me about one \u2014 \"this is my dog Rex\" \u2014 and attach 3\u201325 photos.", "bot");
})();
