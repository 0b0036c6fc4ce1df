/* dreamchat widget: one script tag, no framework on the host page.
 *
 *   <script src="https://YOUR-DREAMCHAT/widget.js" data-token-url="/dreamchat-token" async></script>
 *
 * It draws a <dreamchat-widget> element whose Shadow DOM holds all its markup and styles: the
 * page's CSS doesn't reach in and the widget's doesn't leak out.
 *
 * Sign-in, one of:  data-token      a user token minted by the platform's backend
 *                   data-token-url  the platform's endpoint answering {"token": "dcu_…"} (or the
 *                                   bare token); called before the token expires and after a 401
 * data-api          the dreamchat base URL (default: where this script came from)
 * data-open="true"  start opened
 * Look and feel (each overrides the tenant's widget settings, GET /v1/widget/settings):
 *   data-color #rrggbb · data-position left|right · data-launcher-icon chat|camera|sparkles|URL
 *   data-title · data-assistant-name · data-avatar URL · data-welcome · data-prompts "a|b|c|d"
 *   data-lang en|de|fr|es
 * Page API: window.dreamchat.open() / .close() / .send(text) / .attach(files) / .setToken(token); events on
 * window: dreamchat:ready, dreamchat:image {generation_id, images}, dreamchat:training {type, …}.
 */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[src*='widget.js'][data-token],script[src*='widget.js'][data-token-url]");
  if (!script || !window.customElements || customElements.get("dreamchat-widget")) return;
  function attr(name) {
    var v = script.getAttribute("data-" + name);
    return v && v.trim() ? v.trim() : null;
  }
  var API = (attr("api") || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var TOKEN_URL = attr("token-url");

  // Defaults and every word the widget shows, per language. Plain JSON: tests read it too.
  var TABLE = /* table */ {
    "defaults": {"primary_color": "#5b3df5", "position": "right", "launcher_icon": "chat"},
    "surfaces": ["#ffffff", "#f4f4f6"],
    "min_contrast": 3,
    "strings": {
      "en": {
        "title": "Photo studio", "assistant": "Assistant", "open": "Open the chat", "close": "Close the chat",
        "messages": "Messages", "you": "You", "message": "Message", "placeholder": "Your message\u2026",
        "send": "Send", "attach": "Choose photos", "camera": "Take a photo", "suggestions": "Suggestions",
        "welcome": "Hi! I make personalized pictures of your pets, yourself or your things. Tell me about one \u2014 \"this is my dog Rex\" \u2014 and attach 3\u201325 photos.",
        "photos": "(photos)", "uploading": "uploading\u2026", "rejected": "rejected", "uploadFailed": "upload failed",
        "unreachable": "Sorry, I couldn't reach the server. Try again in a moment.",
        "pictureFailed": "Sorry, that picture didn't work: {error}", "pictureCancelled": "That picture was cancelled.", "retry": "please try again.",
        "trainingStarted": "Training started\u2026", "trainingProgress": "Training {percent}% \u2014 about {seconds} s left",
        "trainingDone": "Training done", "trainingStopped": "Training stopped", "trainingCancelled": "Training cancelled",
        "trainingFailed": "Training failed: {error}", "cancelledNote": "{name}: the training was cancelled.",
        "ready": "{name} is ready! Ask me for a picture.", "readyGood": "{name} is ready \u2014 my test pictures match your photos well. Ask me for a picture, for example \u201cshow {name} on the beach\u201d.", "readyWeak": "{name} is ready \u2014 my test pictures look only partly like your photos. Ask me for a picture, or train again with more photos.", "readyDrifted": "{name} is ready \u2014 but other pictures of the same kind may now look like {name} too.", "readyUntrained": "{name}\u2019s training finished, but my test pictures don\u2019t look like your photos yet. Try training again with more steps or more photos.", "yourModel": "Your model", "progress": "Training progress",
        "picture": "Picture {n}", "view": "View picture {n} larger", "viewer": "Picture", "download": "Download",
        "downloadN": "Download picture {n}", "another": "Another one", "anotherN": "Another one like picture {n}",
        "anotherWorking": "Drawing another one\u2026", "anotherDone": "Here's another one.", "closeView": "Close"
      },
      "de": {
        "title": "Fotostudio", "assistant": "Assistent", "open": "Chat \u00f6ffnen", "close": "Chat schlie\u00dfen",
        "messages": "Nachrichten", "you": "Sie", "message": "Nachricht", "placeholder": "Ihre Nachricht\u2026",
        "send": "Senden", "attach": "Fotos ausw\u00e4hlen", "camera": "Foto aufnehmen", "suggestions": "Vorschl\u00e4ge",
        "welcome": "Hallo! Ich mache pers\u00f6nliche Bilder von Ihren Haustieren, von Ihnen oder Ihren Sachen. H\u00e4ngen Sie 3\u201325 Fotos an und schreiben Sie (auf Englisch) zum Beispiel \u201ethis is my dog Rex\u201c.",
        "photos": "(Fotos)", "uploading": "wird hochgeladen\u2026", "rejected": "abgelehnt", "uploadFailed": "Hochladen fehlgeschlagen",
        "unreachable": "Der Server ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.",
        "pictureFailed": "Das Bild hat leider nicht geklappt: {error}", "pictureCancelled": "Das Bild wurde abgebrochen.", "retry": "bitte noch einmal versuchen.",
        "trainingStarted": "Training gestartet\u2026", "trainingProgress": "Training {percent} % \u2013 noch etwa {seconds} s",
        "trainingDone": "Training fertig", "trainingStopped": "Training angehalten", "trainingCancelled": "Training abgebrochen",
        "trainingFailed": "Training fehlgeschlagen: {error}", "cancelledNote": "{name}: Das Training wurde abgebrochen.",
        "ready": "{name} ist bereit! Fragen Sie mich nach einem Bild.", "readyGood": "{name} ist bereit \u2014 meine Testbilder passen gut zu Ihren Fotos. Fragen Sie mich nach einem Bild, zum Beispiel \u201ezeig {name} am Strand\u201c.", "readyWeak": "{name} ist bereit \u2014 meine Testbilder \u00e4hneln Ihren Fotos nur teilweise. Fragen Sie nach einem Bild oder trainieren Sie mit mehr Fotos neu.", "readyDrifted": "{name} ist bereit \u2014 aber andere Bilder derselben Art k\u00f6nnen jetzt auch wie {name} aussehen.", "readyUntrained": "Das Training von {name} ist fertig, aber meine Testbilder sehen Ihren Fotos noch nicht \u00e4hnlich. Trainieren Sie erneut mit mehr Schritten oder mehr Fotos.", "yourModel": "Ihr Modell", "progress": "Trainingsfortschritt",
        "picture": "Bild {n}", "view": "Bild {n} vergr\u00f6\u00dfern", "viewer": "Bild", "download": "Herunterladen",
        "downloadN": "Bild {n} herunterladen", "another": "Noch eins", "anotherN": "Noch eins wie Bild {n}",
        "anotherWorking": "Ich male noch eins\u2026", "anotherDone": "Hier ist noch eins.", "closeView": "Schlie\u00dfen"
      },
      "fr": {
        "title": "Studio photo", "assistant": "Assistant", "open": "Ouvrir le chat", "close": "Fermer le chat",
        "messages": "Messages", "you": "Vous", "message": "Message", "placeholder": "Votre message\u2026",
        "send": "Envoyer", "attach": "Choisir des photos", "camera": "Prendre une photo", "suggestions": "Suggestions",
        "welcome": "Bonjour\u00a0! Je cr\u00e9e des images personnalis\u00e9es de vos animaux, de vous-m\u00eame ou de vos objets. Joignez 3 \u00e0 25 photos et \u00e9crivez (en anglais) par exemple \u00ab\u00a0this is my dog Rex\u00a0\u00bb.",
        "photos": "(photos)", "uploading": "envoi\u2026", "rejected": "refus\u00e9e", "uploadFailed": "\u00e9chec de l'envoi",
        "unreachable": "Impossible de joindre le serveur. R\u00e9essayez dans un instant.",
        "pictureFailed": "D\u00e9sol\u00e9, cette image n'a pas march\u00e9\u00a0: {error}", "pictureCancelled": "Cette image a \u00e9t\u00e9 annul\u00e9e.", "retry": "veuillez r\u00e9essayer.",
        "trainingStarted": "Entra\u00eenement lanc\u00e9\u2026", "trainingProgress": "Entra\u00eenement {percent}\u00a0% \u2014 encore environ {seconds}\u00a0s",
        "trainingDone": "Entra\u00eenement termin\u00e9", "trainingStopped": "Entra\u00eenement arr\u00eat\u00e9", "trainingCancelled": "Entra\u00eenement annul\u00e9",
        "trainingFailed": "\u00c9chec de l'entra\u00eenement\u00a0: {error}", "cancelledNote": "{name}\u00a0: l'entra\u00eenement a \u00e9t\u00e9 annul\u00e9.",
        "ready": "{name} est pr\u00eat\u00a0! Demandez-moi une image.", "readyGood": "{name} est pr\u00eat \u2014 mes images de test ressemblent bien \u00e0 vos photos. Demandez-moi une image, par exemple \u00ab\u00a0montre {name} sur la plage\u00a0\u00bb.", "readyWeak": "{name} est pr\u00eat \u2014 mes images de test ne ressemblent qu\u2019en partie \u00e0 vos photos. Demandez une image, ou relancez l\u2019entra\u00eenement avec plus de photos.", "readyDrifted": "{name} est pr\u00eat \u2014 mais d\u2019autres images du m\u00eame genre peuvent maintenant ressembler \u00e0 {name}.", "readyUntrained": "L\u2019entra\u00eenement de {name} est termin\u00e9, mais mes images de test ne ressemblent pas encore \u00e0 vos photos. R\u00e9essayez avec plus d\u2019\u00e9tapes ou plus de photos.", "yourModel": "Votre mod\u00e8le", "progress": "Progression de l'entra\u00eenement",
        "picture": "Image {n}", "view": "Agrandir l'image {n}", "viewer": "Image", "download": "T\u00e9l\u00e9charger",
        "downloadN": "T\u00e9l\u00e9charger l'image {n}", "another": "Une autre", "anotherN": "Une autre comme l'image {n}",
        "anotherWorking": "J'en dessine une autre\u2026", "anotherDone": "En voici une autre.", "closeView": "Fermer"
      },
      "es": {
        "title": "Estudio de fotos", "assistant": "Asistente", "open": "Abrir el chat", "close": "Cerrar el chat",
        "messages": "Mensajes", "you": "T\u00fa", "message": "Mensaje", "placeholder": "Tu mensaje\u2026",
        "send": "Enviar", "attach": "Elegir fotos", "camera": "Hacer una foto", "suggestions": "Sugerencias",
        "welcome": "\u00a1Hola! Creo im\u00e1genes personalizadas de tus mascotas, de ti o de tus cosas. Adjunta de 3 a 25 fotos y escribe (en ingl\u00e9s), por ejemplo, \u00abthis is my dog Rex\u00bb.",
        "photos": "(fotos)", "uploading": "subiendo\u2026", "rejected": "rechazada", "uploadFailed": "error al subir",
        "unreachable": "No puedo conectar con el servidor. Int\u00e9ntalo de nuevo en un momento.",
        "pictureFailed": "Lo siento, esa imagen no ha salido: {error}", "pictureCancelled": "Esa imagen se cancel\u00f3.", "retry": "int\u00e9ntalo de nuevo.",
        "trainingStarted": "Entrenamiento iniciado\u2026", "trainingProgress": "Entrenamiento {percent} % \u2014 quedan unos {seconds} s",
        "trainingDone": "Entrenamiento terminado", "trainingStopped": "Entrenamiento detenido", "trainingCancelled": "Entrenamiento cancelado",
        "trainingFailed": "El entrenamiento fall\u00f3: {error}", "cancelledNote": "{name}: se cancel\u00f3 el entrenamiento.",
        "ready": "\u00a1{name} est\u00e1 listo! P\u00eddeme una imagen.", "readyGood": "{name} est\u00e1 listo \u2014 mis im\u00e1genes de prueba se parecen mucho a tus fotos. P\u00eddeme una imagen, por ejemplo \u201cmuestra a {name} en la playa\u201d.", "readyWeak": "{name} est\u00e1 listo \u2014 mis im\u00e1genes de prueba solo se parecen en parte a tus fotos. P\u00eddeme una imagen o vuelve a entrenar con m\u00e1s fotos.", "readyDrifted": "{name} est\u00e1 listo \u2014 pero otras im\u00e1genes del mismo tipo ahora pueden parecerse a {name}.", "readyUntrained": "El entrenamiento de {name} termin\u00f3, pero mis im\u00e1genes de prueba a\u00fan no se parecen a tus fotos. Vuelve a entrenar con m\u00e1s pasos o m\u00e1s fotos.", "yourModel": "Tu modelo", "progress": "Progreso del entrenamiento",
        "picture": "Imagen {n}", "view": "Ver la imagen {n} en grande", "viewer": "Imagen", "download": "Descargar",
        "downloadN": "Descargar la imagen {n}", "another": "Otra m\u00e1s", "anotherN": "Otra m\u00e1s como la imagen {n}",
        "anotherWorking": "Dibujando otra\u2026", "anotherDone": "Aqu\u00ed tienes otra.", "closeView": "Cerrar"
      }
    }
  } /* end table */;

  // Icons are inline SVG strokes: emoji glyphs depend on the fonts of the visitor's machine.
  var PATHS = {
    chat: "M4 5h16v11H9l-5 4z",
    camera: "M3 8h4l2-3h6l2 3h4v11H3zM12 10a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z",
    sparkles: "M11 3l2 5 5 2-5 2-2 5-2-5-5-2 5-2zM19 15l.8 2 2 .8-2 .8-.8 2-.8-2-2-.8 2-.8z",
    photos: "M3 5h18v14H3zM3 15l5-5 5 5 3-3 5 5M16 8.5h.01",
    close: "M6 6l12 12M18 6 6 18",
    download: "M12 4v11m-5-5 5 5 5-5M5 20h14",
    another: "M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5"
  };
  function icon(name) {
    return '<svg class="i-' + name + '" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="' + PATHS[name] + '"/></svg>';
  }

  // WCAG contrast, as core/widget.py computes it for the tenant's settings.
  function luminance(hex) {
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function usableColor(c) {
    return /^#[0-9a-f]{6}$/i.test(c) && TABLE.surfaces.every(function (s) { return contrast(c, s) >= TABLE.min_contrast; });
  }

  // Settings: the script tag's data-* attributes, then the tenant's, then the defaults.
  var ATTRS = {
    primary_color: "color", position: "position", launcher_icon: "launcher-icon", title: "title",
    assistant_name: "assistant-name", avatar_url: "avatar", welcome_message: "welcome",
    suggested_prompts: "prompts", language: "lang"
  };
  function resolve(tenant) {
    var s = {};
    Object.keys(ATTRS).forEach(function (key) {
      var mine = attr(ATTRS[key]);
      if (key === "suggested_prompts" && mine) mine = mine.split("|").map(function (p) { return p.trim(); }).filter(Boolean);
      if (key === "primary_color" && mine && !usableColor(mine)) {
        console.warn("dreamchat: data-color " + mine + " is too light to see on the panel (3:1 needed); ignored.");
        mine = null;
      }
      var theirs = tenant[key];
      if (Array.isArray(theirs) && !theirs.length) theirs = null;
      s[key] = mine || theirs || TABLE.defaults[key] || null;
    });
    if (!TABLE.strings[s.language]) {  // unset: the page's own language when we have it
      var page = (document.documentElement.lang || "").slice(0, 2).toLowerCase();
      s.language = TABLE.strings[page] ? page : "en";
    }
    if (s.position !== "left") s.position = "right";
    s.suggested_prompts = (s.suggested_prompts || []).slice(0, 4);
    return s;
  }

  var S, T;  // the resolved settings and the strings of their language
  function t(key, vars) {
    return T[key].replace(/\{(\w+)\}/g, function (_, name) { return vars[name]; });
  }

  // Tokens: refreshed from data-token-url shortly before they expire and after any 401.
  var token = attr("token"), timer = null, refreshing = null, started = false;
  function expiry(tok) {
    try {
      var payload = tok.slice(4).split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).e * 1000;
    } catch (e) { return 0; }
  }
  function setToken(tok) {
    if (!tok || tok === token) return;
    token = String(tok);
    clearTimeout(timer);
    var left = expiry(token) - Date.now();
    if (TOKEN_URL && left > 0) timer = setTimeout(refreshSoon, Math.max(5000, left - Math.min(60000, left / 4)));
    if (started) connect();
  }
  function refresh() {
    if (!TOKEN_URL) return Promise.resolve(token);
    if (!refreshing) {
      refreshing = fetch(TOKEN_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error("the token endpoint answered " + r.status);
          return r.text();
        })
        .then(function (text) {
          var tok = text.trim();
          try { tok = JSON.parse(tok).token || tok; } catch (e) { /* the bare token */ }
          setToken(tok);
          return token;
        })
        .finally(function () { refreshing = null; });
    }
    return refreshing;
  }
  function refreshSoon() {
    refresh().catch(function () { timer = setTimeout(refreshSoon, 30000); });
  }
  document.addEventListener("visibilitychange", function () {
    // Timers sleep in background tabs: coming back, a token about to expire is replaced now.
    if (!document.hidden && TOKEN_URL && expiry(token) - Date.now() < 60000) refreshSoon();
  });

  function call(path, init, again) {
    init = init || {};
    var ready = token || !TOKEN_URL ? Promise.resolve() : refresh();
    return ready.then(function () {
      var headers = { Authorization: "Bearer " + token };
      if (init.json) headers["Content-Type"] = "application/json";
      return fetch(API + path, { method: init.method || "GET", headers: headers, body: init.json ? JSON.stringify(init.json) : init.body });
    }).then(function (r) {
      if (r.status === 401 && TOKEN_URL && !again) return refresh().then(function () { return call(path, init, true); });
      return r;
    });
  }
  function ApiError(message) { this.message = message; }
  function json(path, init) {
    return call(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new ApiError((j.error && j.error.message) || T.unreachable);
        return j;
      });
    });
  }
  function problem(e) { return e instanceof ApiError ? e.message : T.unreachable; }
  function emit(name, detail) { window.dispatchEvent(new CustomEvent("dreamchat:" + name, { detail: detail })); }

  // The element and its shadow root -------------------------------------------------------
  customElements.define("dreamchat-widget", class extends HTMLElement {
    constructor() { super(); this.attachShadow({ mode: "open" }); }
  });
  var host = document.createElement("dreamchat-widget");
  var root = host.shadowRoot;
  var CSS =
    ":host{all:initial!important;display:block!important;position:static!important;direction:ltr!important;" +
    "color:#1f1f23!important;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif!important}" +
    "*,*::before,*::after{box-sizing:border-box}[hidden]{display:none!important}" +
    "button,input{font:inherit;color:inherit;margin:0}button{cursor:pointer}" +
    "svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}" +
    ":focus-visible{outline:3px solid var(--p);outline-offset:2px}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:60px;height:60px;padding:0;border:0;border-radius:50%;" +
    "background:var(--p);color:var(--on);box-shadow:0 6px 20px rgba(0,0,0,.28);display:flex;align-items:center;justify-content:center}" +
    ".launcher svg{width:28px;height:28px}.launcher img{width:34px;height:34px;object-fit:contain}" +
    ".launcher:focus-visible{outline-offset:3px;box-shadow:0 0 0 3px #fff,0 6px 20px rgba(0,0,0,.28)}" +
    ".panel{position:fixed;bottom:92px;right:20px;z-index:2147483000;width:380px;max-width:calc(100vw - 40px);height:600px;" +
    "max-height:calc(100vh - 112px);background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.3);display:flex;flex-direction:column;overflow:hidden}" +
    ".left .launcher,.left .panel{left:20px;right:auto}" +
    ".head{display:flex;align-items:center;gap:10px;padding:10px 8px 10px 14px;background:var(--p);color:var(--on)}" +
    ".head :focus-visible{outline-color:var(--on);outline-offset:-3px}" +
    ".avatar{width:38px;height:38px;border-radius:50%;object-fit:cover;flex:none;background:var(--on);color:var(--p);" +
    "display:flex;align-items:center;justify-content:center;font-weight:700;font-size:17px}" +
    ".who{flex:1;min-width:0}h2{margin:0;font-size:16px;font-weight:650;line-height:1.3}.name{margin:0;font-size:13px}" +
    ".close{width:44px;height:44px;padding:0;border:0;border-radius:50%;background:transparent;color:inherit;display:flex;align-items:center;justify-content:center}" +
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}" +
    ".log:focus-visible{outline-offset:-3px}" +
    ".msg{max-width:85%;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".bot{align-self:flex-start;background:#f4f4f6;border-bottom-left-radius:4px}" +
    ".me{align-self:flex-end;background:var(--p);color:var(--on);border-bottom-right-radius:4px}" +
    ".shots{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px}.shots img{width:56px;height:56px;object-fit:cover;border-radius:8px;display:block}" +
    ".with-pics{width:85%}.pics{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px;margin-top:8px;white-space:normal}" +
    ".pics.one{grid-template-columns:minmax(0,1fr)}.pic{margin:0}" +
    ".thumb{display:block;width:100%;aspect-ratio:1;padding:0;border:0;border-radius:10px;overflow:hidden;background:#dcdce3;cursor:zoom-in}" +
    ".thumb img{display:block;width:100%;height:100%;object-fit:cover}" +
    ".acts{display:flex;gap:6px;margin-top:6px}" +
    ".act{display:inline-flex;align-items:center;justify-content:center;width:36px;height:36px;padding:0;border:1px solid #8a8a96;" +
    "border-radius:10px;background:#fff;color:#1f1f23;text-decoration:none}.act svg{width:20px;height:20px}" +
    ".bar{height:8px;background:#dcdce3;border-radius:4px;overflow:hidden;margin-top:8px}.bar>div{height:100%;width:0;background:var(--p);transition:width .3s}" +
    ".chips{display:flex;flex-wrap:wrap;gap:8px;padding:0 14px 10px}" +
    ".chip{padding:7px 13px;border:2px solid var(--p);border-radius:999px;background:#fff;color:#1f1f23;font-size:14px;text-align:left}" +
    ".tray{display:flex;flex-wrap:wrap;gap:8px;padding:8px 12px 0;border-top:1px solid #e4e4ea}.tray:empty{display:none}" +
    ".up{width:64px;font-size:12px;line-height:1.3;color:#44444c}.up img{width:64px;height:64px;object-fit:cover;border-radius:8px;display:block}" +
    ".up.bad img{outline:3px solid #c4262e}.up.bad{color:#b42318}.up.warn img{outline:3px solid #b35c00}" +
    ".form{display:flex;gap:4px;align-items:center;padding:10px;border-top:1px solid #e4e4ea}" +
    ".icon{width:44px;height:44px;padding:0;border:0;border-radius:50%;background:transparent;color:#44444c;display:flex;align-items:center;justify-content:center;flex:none}" +
    ".text{flex:1;min-width:0;height:44px;padding:0 14px;border:1.5px solid #8a8a96;border-radius:22px;background:#fff}" +
    ".text::placeholder{color:#6b6b76}" +
    ".send{height:44px;padding:0 16px;border:0;border-radius:22px;background:var(--p);color:var(--on);font-weight:600;flex:none}" +
    ".drop{outline:3px dashed var(--p);outline-offset:-6px}" +
    ".viewer{position:fixed;inset:0;z-index:2147483001;background:rgba(12,12,16,.92);display:flex;flex-direction:column;" +
    "align-items:center;justify-content:center;gap:14px;padding:16px}" +
    ".viewer img{width:min(100%,960px,calc(100vh - 150px));height:auto;max-height:calc(100vh - 150px);object-fit:contain}" +
    ".viewer :focus-visible{outline-color:#fff}.vbar{display:flex;flex-wrap:wrap;gap:10px;justify-content:center}" +
    ".vbtn{display:inline-flex;align-items:center;gap:8px;height:44px;padding:0 16px;border:0;border-radius:22px;background:#fff;" +
    "color:#1f1f23;text-decoration:none;font-weight:600}" +
    "@media (max-width:479px){.panel,.left .panel{inset:0;width:auto;height:auto;max-width:none;max-height:none;border-radius:0}" +
    ".open .launcher{display:none}.text{font-size:16px}}" +
    "@media (prefers-reduced-motion:reduce){.bar>div{transition:none}}";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function button(cls, label, inner) {
    var b = el("button", cls);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    if (inner) b.innerHTML = inner;
    return b;
  }
  var wrap, launcher, panel, log, chips, tray, input, picker, camera;

  function render() {
    var c = S.primary_color;
    wrap = el("div", "dc " + S.position);
    wrap.lang = S.language;
    wrap.style.setProperty("--p", c);
    wrap.style.setProperty("--on", contrast(c, "#ffffff") >= contrast(c, "#000000") ? "#ffffff" : "#000000");
    var style = el("style");
    style.textContent = CSS;

    launcher = button("launcher", T.open, PATHS[S.launcher_icon] ? icon(S.launcher_icon) : "");
    if (!PATHS[S.launcher_icon]) {
      var img = el("img");
      img.src = S.launcher_icon; img.alt = "";
      launcher.appendChild(img);
    }
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "dc-panel");

    panel = el("section", "panel");
    panel.id = "dc-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "dc-title");
    var head = el("header", "head");
    var avatar;
    if (S.avatar_url) {
      avatar = el("img", "avatar");
      avatar.src = S.avatar_url; avatar.alt = "";
    } else {
      avatar = el("span", "avatar", (S.assistant_name || S.title || T.title).charAt(0).toUpperCase());
      avatar.setAttribute("aria-hidden", "true");
    }
    var who = el("div", "who");
    var title = el("h2", null, S.title || T.title);
    title.id = "dc-title";
    who.appendChild(title);
    if (S.assistant_name) who.appendChild(el("p", "name", S.assistant_name));
    var closer = button("close", T.close, icon("close"));
    head.append(avatar, who, closer);

    log = el("div", "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-label", T.messages);
    log.tabIndex = 0;  // it scrolls: keyboard users scroll it too
    chips = el("div", "chips");
    chips.setAttribute("role", "group");
    chips.setAttribute("aria-label", T.suggestions);
    S.suggested_prompts.forEach(function (p) {
      var chip = button("chip", null, null);
      chip.textContent = p;
      chip.onclick = function () { submit(p); };
      chips.appendChild(chip);
    });
    chips.hidden = !S.suggested_prompts.length;
    tray = el("div", "tray");
    tray.setAttribute("aria-live", "polite");

    var form = el("form", "form");
    var attach = button("icon", T.attach, icon("photos"));
    var shoot = button("icon", T.camera, icon("camera"));
    // Phones offer camera or gallery for image/*; the second input goes straight to the camera.
    picker = el("input"); picker.type = "file"; picker.accept = "image/*"; picker.multiple = true; picker.hidden = true;
    camera = el("input"); camera.type = "file"; camera.accept = "image/*"; camera.setAttribute("capture", "environment"); camera.hidden = true;
    shoot.hidden = !matchMedia("(pointer: coarse)").matches;
    input = el("input", "text");
    input.type = "text"; input.placeholder = T.placeholder; input.autocomplete = "off";
    input.setAttribute("aria-label", T.message);
    var send = el("button", "send", T.send);
    send.type = "submit";
    form.append(attach, shoot, picker, camera, input, send);
    panel.append(head, log, chips, tray, form);
    wrap.append(launcher, panel);
    root.append(style, wrap);

    launcher.onclick = function () { if (panel.hidden) open(true); else close(); };
    closer.onclick = close;
    attach.onclick = function () { picker.click(); };
    shoot.onclick = function () { camera.click(); };
    [picker, camera].forEach(function (p) {
      p.onchange = function () { addFiles(p.files); p.value = ""; };
    });
    form.onsubmit = function (e) { e.preventDefault(); submit(input.value); };
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); close(); }
      // Full screen on a phone the panel is all there is: Tab stays inside it.
      else if (e.key === "Tab" && matchMedia("(max-width: 479px)").matches) trap(e, panel);
    });
    ["dragenter", "dragover"].forEach(function (n) { panel.addEventListener(n, function (e) { e.preventDefault(); panel.classList.add("drop"); }); });
    ["dragleave", "drop"].forEach(function (n) { panel.addEventListener(n, function (e) { e.preventDefault(); panel.classList.remove("drop"); }); });
    panel.addEventListener("drop", function (e) { if (e.dataTransfer && e.dataTransfer.files) addFiles(e.dataTransfer.files); });
    say(S.welcome_message || T.welcome, "bot");
  }

  function trap(e, box) {
    var all = Array.prototype.filter.call(box.querySelectorAll("button,a[href],input:not([type=file]),[tabindex]"), function (x) {
      return x.getClientRects().length > 0;
    });
    var first = all[0], last = all[all.length - 1], at = root.activeElement;
    if (e.shiftKey && at === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && at === last) { e.preventDefault(); first.focus(); }
  }

  // Opening moves focus in; closing gives it back to where it was (the launcher, or the
  // page's own button that called window.dreamchat.open()).
  var returnTo = null;
  function open(focus) {
    if (!panel.hidden) return;
    returnTo = root.activeElement || document.activeElement;
    panel.hidden = false;
    wrap.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", T.close);
    if (focus) input.focus();
    log.scrollTop = log.scrollHeight;
  }
  function close() {
    if (panel.hidden) return;
    var inside = root.activeElement;
    panel.hidden = true;
    wrap.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", T.open);
    var back = returnTo && returnTo.isConnected && returnTo !== host && returnTo !== document.body;
    if (inside) (back ? returnTo : launcher).focus();
  }

  // Messages ------------------------------------------------------------------------------
  function say(text, who, server) {
    var m = el("div", "msg " + who);
    m.appendChild(el("span", "sr", (who === "me" ? T.you : S.assistant_name || T.assistant) + ": "));
    var body = el("span", "body", text);
    m.appendChild(body);
    m.body = body;
    // What the server writes is English; the widget's own words are in the chosen language.
    if (server && S.language !== "en") body.lang = "en";
    log.appendChild(m);
    log.scrollTop = log.scrollHeight;
    return m;
  }
  function write(m, text, server) {
    m.body.textContent = text;
    if (server && S.language !== "en") m.body.lang = "en";
    else m.body.removeAttribute("lang");
    log.scrollTop = log.scrollHeight;
  }
  function keepScrolled(img) {
    img.addEventListener("load", function () { log.scrollTop = log.scrollHeight; });
  }

  function pictures(msg, generationId, images) {
    if (!images || !images.length) return;
    var box = el("div", images.length === 1 ? "pics one" : "pics");
    msg.classList.add("with-pics");  // as wide as it may be, whatever the text above
    images.forEach(function (image, i) {
      var n = { n: i + 1 };
      var fig = el("figure", "pic");
      var thumb = button("thumb", t("view", n), null);
      var img = el("img");
      img.src = image.url; img.alt = t("picture", n);
      keepScrolled(img);
      thumb.appendChild(img);
      thumb.onclick = function () { view(image, generationId, n, thumb); };
      var acts = el("div", "acts");
      var dl = downloadLink("act", t("downloadN", n), icon("download"), image);
      var more = button("act", t("anotherN", n), icon("another"));
      more.onclick = function () { another(generationId); };
      acts.append(dl, more);
      fig.append(thumb, acts);
      box.appendChild(fig);
    });
    msg.appendChild(box);
    log.scrollTop = log.scrollHeight;
    emit("image", { generation_id: generationId, images: images });
  }

  // Image URLs live on the API's origin, where <a download> is ignored: fetch the file and
  // save it from a blob, or open it in a tab if that fails.
  function downloadLink(cls, label, inner, image) {
    var a = el("a", cls);
    a.href = image.url;
    a.download = "dreamchat-" + (image.id || "picture") + ".png";
    a.setAttribute("aria-label", label);
    a.innerHTML = inner;
    a.onclick = function (e) {
      e.preventDefault();
      fetch(image.url).then(function (r) { if (!r.ok) throw new Error(); return r.blob(); }).then(function (blob) {
        var link = el("a");
        link.href = URL.createObjectURL(blob);
        link.download = a.download;
        root.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
      }).catch(function () { window.open(image.url, "_blank", "noopener"); });
    };
    return a;
  }

  function view(image, generationId, n, from) {
    var v = el("div", "viewer");
    v.setAttribute("role", "dialog");
    v.setAttribute("aria-modal", "true");
    v.setAttribute("aria-label", t("picture", n));
    var big = el("img");
    big.src = image.url; big.alt = t("picture", n);
    var bar = el("div", "vbar");
    var dl = downloadLink("vbtn", T.download, icon("download"), image);
    dl.appendChild(el("span", null, T.download));
    var more = button("vbtn", null, icon("another"));
    more.appendChild(el("span", null, T.another));
    var shut = button("vbtn", null, icon("close"));
    shut.appendChild(el("span", null, T.closeView));
    bar.append(dl, more, shut);
    v.append(big, bar);
    function done() { v.remove(); from.focus(); }
    more.onclick = function () { done(); another(generationId); };
    shut.onclick = done;
    v.onclick = function (e) { if (e.target === v) done(); };
    v.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); done(); }
      else if (e.key === "Tab") trap(e, v);
    });
    root.appendChild(v);
    shut.focus();
  }

  // Uploads -------------------------------------------------------------------------------
  var pending = [];  // [{file, url, uploadId, done}]
  function addFiles(files) {
    Array.prototype.forEach.call(files, function (file) {
      var item = { file: file, url: URL.createObjectURL(file), uploadId: null };
      var box = el("div", "up");
      var img = el("img");
      img.src = item.url; img.alt = file.name;
      var note = el("small", null, T.uploading);
      box.append(img, note);
      tray.appendChild(box);
      pending.push(item);
      var body = new FormData();
      body.append("file", file);
      item.done = call("/v1/uploads", { method: "POST", body: body })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (!res.ok) {
            box.className = "up bad";
            note.textContent = (res.body.error && res.body.error.message) || T.rejected;
            return;
          }
          item.uploadId = res.body.upload_id;
          var warn = (res.body.checks || []).filter(function (c) { return !c.ok; });
          note.textContent = warn.length ? warn[0].message : "\u2713";
          if (warn.length) box.className = "up warn";
        })
        .catch(function () { box.className = "up bad"; note.textContent = T.uploadFailed; });
    });
  }

  // Chat turns ----------------------------------------------------------------------------
  // Pictures that take longer than the turn waits arrive on the event stream, under the
  // message that promised them; their event may come before that message knows its id.
  var gens = {};  // generation id -> {msg, ev, done, text}
  function gen(id) { return gens[id] || (gens[id] = {}); }
  function expect(id, msg, text) {
    var g = gen(id);
    g.msg = msg; g.text = text;
    deliver(id);
  }
  function deliver(id) {
    var g = gens[id];
    if (!g.msg || !g.ev || g.done) return;
    g.done = true;
    if (g.ev.type === "generation.succeeded") {
      if (g.text) write(g.msg, g.text);
      pictures(g.msg, id, g.ev.image_urls);
    } else if (g.ev.type === "generation.cancelled") {
      write(g.msg, T.pictureCancelled);
    } else {
      write(g.msg, t("pictureFailed", { error: g.ev.error || T.retry }));
    }
  }

  var conversationId = null;
  function turn(text, items) {
    var ids = items.filter(function (i) { return i.uploadId; }).map(function (i) { return i.uploadId; });
    var thinking = say("\u2026", "bot");
    return json("/v1/chat", { method: "POST", json: { message: text, conversation_id: conversationId, attachments: ids } })
      .then(function (j) {
        conversationId = j.conversation_id;
        write(thinking, j.reply, true);
        if (j.images && j.images.length) {
          gen(j.generation_id).done = true;
          pictures(thinking, j.generation_id, j.images);
        } else if (j.generation_id) expect(j.generation_id, thinking);
      })
      .catch(function (e) { write(thinking, problem(e), e instanceof ApiError); });
  }

  // One turn at a time, in order: each needs the conversation id the one before it got.
  var turns = Promise.resolve();
  function submit(text) {
    text = String(text || "").trim();
    var items = pending.splice(0);
    if (!text && !items.length) return turns;
    input.value = "";
    tray.textContent = "";
    chips.hidden = true;
    var mine = say(text || T.photos, "me");
    if (items.length) {
      var shots = el("div", "shots");
      items.forEach(function (i) {
        var img = el("img");
        img.src = i.url; img.alt = i.file.name;
        keepScrolled(img);
        shots.appendChild(img);
      });
      mine.appendChild(shots);
    }
    turns = turns
      .then(function () { return Promise.all(items.map(function (i) { return i.done; })); })
      .then(function () { return turn(text, items); });
    return turns;
  }

  // "Another one": the same prompt, subjects and size, with a new seed (none given).
  function another(generationId) {
    var msg = say(T.anotherWorking, "bot");
    return json("/v1/generations/" + generationId)
      .then(function (g) {
        return json("/v1/generations", {
          method: "POST",
          json: { subject_ids: g.subject_ids, prompt: g.prompt, negative_prompt: g.negative_prompt, count: 1, width: g.width, height: g.height }
        });
      })
      .then(function (g) { expect(g.id, msg, T.anotherDone); })
      .catch(function (e) { write(msg, problem(e), e instanceof ApiError); });
  }

  // Live events: training progress, "ready" notices, pictures finished after their reply.
  var TYPES = ["training.started", "training.progress", "training.succeeded", "training.failed", "training.cancelled",
    "generation.succeeded", "generation.failed", "generation.cancelled"];
  var stream = null, lastId = null, failures = 0, lost = false;
  function newer(id) {  // stream ids are "ms-seq"; two streams overlap while the token changes
    if (!id) return true;
    var a = id.split("-").map(Number), b = lastId ? lastId.split("-").map(Number) : [-1, -1];
    if (a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1])) return false;
    lastId = id;
    return true;
  }
  function connect() {
    if (!window.EventSource || !token) return;
    var old = stream;
    var es = stream = new EventSource(API + "/v1/events?token=" + encodeURIComponent(token));
    function onEvent(m) {
      if (!newer(m.lastEventId)) return;
      try { handle(JSON.parse(m.data)); } catch (e) { /* not ours */ }
    }
    es.onmessage = onEvent;
    TYPES.forEach(function (type) { es.addEventListener(type, onEvent); });
    es.onopen = function () {
      if (old) old.close();
      failures = 0;
      if (lost) { lost = false; catchUp(); }
    };
    es.onerror = function () {
      if (es.readyState !== EventSource.CLOSED || es !== stream) return;  // it reconnects by itself
      // Closed for good: a refused token or a server gone. A fresh token, then again.
      lost = true;
      var wait = Math.min(60000, 2000 * Math.pow(2, failures++));
      setTimeout(function () {
        refresh().catch(function () {}).then(function () { if (es === stream) connect(); });
      }, wait);
    };
  }
  function catchUp() {  // pictures whose event may have passed while the stream was down
    Object.keys(gens).forEach(function (id) {
      var g = gens[id];
      if (!g.msg || g.done) return;
      json("/v1/generations/" + id).then(function (gn) {
        if (gn.status === "succeeded") handle({ type: "generation.succeeded", generation_id: id, image_urls: gn.images });
        else if (gn.status === "failed") handle({ type: "generation.failed", generation_id: id, error: gn.error && gn.error.message });
        else if (gn.status === "cancelled") handle({ type: "generation.cancelled", generation_id: id });
      }).catch(function () {});
    });
  }

  var bars = {};
  function barText(id, text) { if (bars[id]) bars[id].text.textContent = text; }
  function startBar(id) {
    var msg = say(T.trainingStarted, "bot");
    msg.body.setAttribute("aria-live", "off");  // progress is shown, not read out each step
    var bar = el("div", "bar"), fill = el("div");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", T.progress);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.appendChild(fill);
    msg.appendChild(bar);
    bars[id] = { text: msg.body, bar: bar, fill: fill };
  }
  function handle(ev) {
    var id = ev.training_id;
    if (ev.type.indexOf("training.") === 0) emit("training", ev);
    if (ev.type === "training.started" && id && !bars[id]) {
      startBar(id);
    } else if (ev.type === "training.progress" && id) {
      if (!bars[id]) startBar(id);
      var percent = Math.round(ev.progress * 100);
      bars[id].fill.style.width = percent + "%";
      bars[id].bar.setAttribute("aria-valuenow", String(percent));
      barText(id, t("trainingProgress", { percent: percent, seconds: Math.max(1, Math.round(ev.eta_seconds)) }));
    } else if (ev.type === "training.succeeded") {
      if (bars[id]) { bars[id].fill.style.width = "100%"; bars[id].bar.setAttribute("aria-valuenow", "100"); }
      barText(id, T.trainingDone);
      // In the words of the quality report when the training has one (trainer/quality.py).
      var q = ev.quality || {};
      var verdicts = { good: "readyGood", weak: "readyWeak", drifted: "readyDrifted", untrained: "readyUntrained" };
      var key = (q.measured && verdicts[q.verdict]) || "ready";
      say(t(key, { name: ev.subject_name || T.yourModel }), "bot");
    } else if (ev.type === "training.failed") {
      barText(id, T.trainingStopped);
      say(t("trainingFailed", { error: ev.error || T.retry }), "bot");
    } else if (ev.type === "training.cancelled") {
      barText(id, T.trainingCancelled);
      say(t("cancelledNote", { name: ev.subject_name || T.yourModel }), "bot");
    } else if (ev.type === "chat.reply") {
      // This widget shows its replies from the /v1/chat answer; the stream's copy is for
      // other clients of the same user, so it is not written twice here.
      return;
    } else if (/^generation\.(succeeded|failed|cancelled)$/.test(ev.type)) {
      gen(ev.generation_id).ev = ev;
      deliver(ev.generation_id);
    }
  }

  // The page's API: calls made before the widget is ready wait for it.
  var markReady;
  var ready = new Promise(function (resolve) { markReady = resolve; });
  window.dreamchat = {
    open: function () { return ready.then(function () { open(true); }); },
    close: function () { return ready.then(close); },
    send: function (text) { return ready.then(function () { open(true); return submit(text); }); },
    // Files (File or Blob objects) put on the tray as if picked; the next send() carries them.
    attach: function (files) { return ready.then(function () { open(true); addFiles(files); }); },
    setToken: setToken
  };

  function start() {
    document.body.appendChild(host);
    // The tenant's settings, fetched once; without them the widget still works on defaults.
    var tenant = (token || TOKEN_URL ? json("/v1/widget/settings") : Promise.reject())
      .catch(function () { return {}; });
    tenant.then(function (settings) {
      S = resolve(settings);
      T = TABLE.strings[S.language];
      render();
      if (attr("open") === "true") open(false);
      started = true;
      var first = token;  // set again, to schedule its refresh and open the event stream
      token = null;
      setToken(first);
      markReady();
      emit("ready", { open: !panel.hidden, language: S.language });
    });
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
