/* closeloop website widget. Hand-written, no build step, no dependencies.
 * <script src="(your closeloop)/widget.js" data-key="wk_..." async></script>
 * Page API: closeloop('identify', {id, email, attributes, user_hash}); closeloop('track', 'event');
 * closeloop('show'). Calls made before the script loads wait in closeloop.q.
 * Everything runs inside this function and a shadow root; the only global is `closeloop`, and
 * nothing is ever thrown into the host page. The settings come first: when they say "off"
 * (unknown key, another site, paused, busy) the script makes no other request. */
(function (w, d) {
  "use strict";
  function noop() {}
  function safe(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        return undefined;
      }
    };
  }
  var script = d.currentScript;
  if (!script || !script.src || !w.fetch || !w.Element.prototype.attachShadow) return;
  var KEY = script.getAttribute("data-key") || "";
  var BASE = script.src.replace(/\/widget\.js([?#].*)?$/, "");
  var API = BASE + "/widget/api/" + encodeURIComponent(KEY) + "/";
  var STORE = "closeloop:" + KEY;
  var S = { events: {}, allow: true, loaded: Date.now() };
  var queue = (w.closeloop && w.closeloop.q) || [];

  function store(value) {
    try {
      if (value === undefined) return +w.localStorage.getItem(STORE) || 0;
      w.localStorage.setItem(STORE, String(value));
    } catch (e) {
      return 0;
    }
    return 0;
  }

  function api(path, body) {
    var options = { credentials: "omit", mode: "cors" };
    if (body) {
      body.visitor = S.visitor || null;
      options.method = "POST";
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    return w.fetch(API + path, options).then(function (r) {
      return r.json().then(function (data) {
        return { ok: r.ok, status: r.status, data: data || {} };
      });
    }).catch(function () {
      return { ok: false, status: 0, data: {} };
    });
  }

  // --- commands ----------------------------------------------------------------------------

  var commands = {
    identify: function (who) {
      S.who = who || {};
      if (S.cfg) identify(); // before the settings arrive, it waits for them
    },
    track: function (name) {
      S.events[name] = 1;
      var t = S.cfg && S.cfg.triggers;
      if (t && t.event === name) fire();
    },
    show: function () {
      S.force = 1;
      forced();
    }
  };

  function closeloop(name, arg) {
    try {
      if (commands[name]) commands[name](arg);
    } catch (e) {
      /* never into the host page */
    }
  }
  w.closeloop = closeloop;

  function lang() {
    return d.documentElement.lang || navigator.language || "";
  }

  function identify() {
    var who = S.who;
    S.who = null;
    S.identifying = 1;
    api("identify", {
      id: who.id, email: who.email, attributes: who.attributes, user_hash: who.user_hash, lang: lang()
    }).then(safe(function (r) {
      S.identifying = 0;
      if (r.ok) {
        S.visitor = r.data.visitor || null;
        S.allow = !!r.data.show;
        S.invitation = r.data.invitation || null;
        if (r.data.config && !S.open) S.cfg = r.data.config;
      }
      if (S.who) return identify(); // identified again meanwhile
      if (S.force) forced();
      else arm();
    }));
  }

  // --- config and triggers -----------------------------------------------------------------

  function load() {
    var query = "config?lang=" + encodeURIComponent(lang()) + "&url=" + encodeURIComponent(location.href);
    api(query).then(safe(function (r) {
      if (!r.ok || r.data.off) return; // off: stay silent, ask nothing more
      S.cfg = r.data;
      if (S.who) identify();
      else if (S.force) forced();
      else arm();
    }));
  }

  function forced() {
    // closeloop('show') skips the triggers (and, for an anonymous visitor, this browser's
    // memory), never what the server said about an identified one.
    if (!S.cfg || S.identifying || S.open) return;
    if (!S.allow || (S.visitor && S.shown)) {
      S.force = 0;
      return;
    }
    present();
  }

  function matches(pattern) {
    if (!pattern) return true;
    var re = new RegExp("^" + pattern.split("*").map(function (part) {
      return part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }).join(".*") + "$");
    return re.test(location.pathname) || re.test(location.pathname + location.search) ||
      re.test(location.href);
  }

  function eligible() {
    var cfg = S.cfg;
    if (!cfg || S.shown || S.identifying || !S.allow) return false;
    if (!S.visitor && Date.now() - store() < (cfg.min_days || 0) * 864e5) return false;
    return matches(cfg.triggers.url_pattern);
  }

  function fire() {
    if (S.identifying) S.pending = 1; // decided once the server has said who this is
    else if (eligible()) present();
  }

  function arm() {
    var t = S.cfg.triggers || {};
    if (S.armed) {
      // Identified after the triggers were set: those that already fired count now.
      if (S.pending || !(t.event || t.min_seconds || t.scroll_percent || t.exit_intent) ||
        S.events[t.event]) fire();
      S.pending = 0;
      return;
    }
    S.armed = 1;
    var any = 0;
    if (t.event) {
      any = 1;
      if (S.events[t.event]) fire();
    }
    if (t.min_seconds) {
      any = 1;
      setTimeout(safe(fire), Math.max(0, t.min_seconds * 1000 - (Date.now() - S.loaded)));
    }
    if (t.scroll_percent) {
      any = 1;
      w.addEventListener("scroll", safe(function () {
        var el = d.documentElement;
        var seen = (w.scrollY + w.innerHeight) / Math.max(el.scrollHeight, 1) * 100;
        if (seen >= t.scroll_percent) fire();
      }), { passive: true });
    }
    if (t.exit_intent) {
      any = 1;
      d.addEventListener("mouseout", safe(function (e) {
        if (!e.relatedTarget && e.clientY <= 0) fire();
      }));
    }
    if (!any) fire();
  }

  // --- rendering ---------------------------------------------------------------------------

  var CSS = ":host{all:initial!important;display:block!important}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".ov{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483646}" +
    ".box{position:fixed;z-index:2147483647;background:var(--bg);color:#1f2328;border-radius:12px;" +
    "box-shadow:0 10px 40px rgba(0,0,0,.25);width:min(380px,calc(100vw - 24px));" +
    "max-height:calc(100vh - 24px);overflow:auto;padding:20px;font-size:15px;line-height:1.45;text-align:start}" +
    ".pop{top:50%;left:50%;transform:translate(-50%,-50%);width:min(460px,calc(100vw - 24px))}" +
    ".sld{bottom:16px;inset-inline-end:16px}" +
    "@media (max-width:480px){.sld{inset-inline:12px;bottom:12px;width:auto}}" +
    ".t{margin:0;margin-inline-end:32px;font-size:13px;color:#57606a;font-weight:600}" +
    ".q{margin:10px 0 12px;font-size:16px;font-weight:600}" +
    ".h{margin:-6px 0 10px;color:#57606a;font-size:13px}" +
    ".x{position:absolute;top:8px;inset-inline-end:8px;width:32px;height:32px;border:0;background:none;" +
    "font-size:22px;line-height:1;cursor:pointer;color:#57606a;border-radius:6px;padding:0}" +
    ".sc{display:flex;flex-wrap:wrap;gap:4px}" +
    ".sc button{flex:1 0 28px;min-width:28px;height:36px;border:1px solid #8c959f;background:#fff;" +
    "color:#1f2328;border-radius:6px;cursor:pointer;font:inherit;padding:0}" +
    ".sc button.on{background:var(--p);border-color:var(--p);color:var(--pi)}" +
    ".lb{display:flex;justify-content:space-between;gap:8px;font-size:12px;color:#57606a;margin-top:4px}" +
    ".ch label{display:flex;gap:8px;align-items:center;padding:5px 0;cursor:pointer}" +
    "input[type=text],input[type=email],textarea{display:block;width:100%;padding:8px;margin-top:4px;" +
    "border:1px solid #8c959f;border-radius:6px;font:inherit;color:#1f2328;background:#fff}" +
    "textarea{min-height:84px;resize:vertical}" +
    ".go{margin-top:14px;background:var(--p);color:var(--pi);border:0;border-radius:6px;" +
    "padding:9px 18px;font:inherit;font-weight:600;cursor:pointer}" +
    ":focus-visible{outline:3px solid var(--p);outline-offset:2px}" +
    ".err{color:#b42318;font-size:13px;margin:8px 0 0}.err:empty{display:none}" +
    "a{color:var(--p)}.live{margin:10px 0 0;font-size:16px}.live:empty{display:none}";

  function el(tag, attrs, kids) {
    var node = d.createElement(tag);
    for (var name in attrs || {}) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "on") for (var type in attrs.on) node.addEventListener(type, safe(attrs.on[type]));
      else if (attrs[name] != null && attrs[name] !== false) node.setAttribute(name, attrs[name]);
    }
    (kids || []).forEach(function (kid) {
      if (kid) node.appendChild(kid);
    });
    return node;
  }

  function ink(hex) {
    var n = parseInt((hex || "#2563eb").slice(1), 16);
    var lum = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
    return lum > 160 ? "#111" : "#fff";
  }

  var R = {}; // the open widget: host, root, box, body, live, answers, page, index

  function present() {
    var cfg = S.cfg;
    if (!cfg || S.open || !d.body) return;
    S.open = S.shown = 1;
    S.force = 0;
    store(Date.now());
    var popup = cfg.placement === "popup";
    var host = el("closeloop-widget");
    var root = host.attachShadow({ mode: "open" });
    if (w.CSSStyleSheet && "adoptedStyleSheets" in root) {
      var sheet = new w.CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", { text: CSS }));
    }
    var labels = cfg.labels;
    var box = el("div", {
      "class": "box " + (popup ? "pop" : "sld"),
      role: "dialog",
      "aria-modal": popup ? "true" : null,
      "aria-labelledby": "cl-t",
      dir: cfg.dir,
      lang: cfg.language,
      on: { keydown: keys }
    });
    box.style.setProperty("--p", cfg.theme.primary);
    box.style.setProperty("--pi", ink(cfg.theme.primary));
    box.style.setProperty("--bg", cfg.theme.background || "#fff");
    R = {
      host: host, root: root, box: box, popup: popup, answers: {}, back: d.activeElement,
      nonce: Math.random().toString(36).slice(2) + Date.now().toString(36),
      body: el("div"), live: el("p", { "class": "live", role: "status", "aria-live": "polite" })
    };
    box.appendChild(el("button", {
      "class": "x", type: "button", "aria-label": labels.close, text: "\u00d7",
      on: { click: function () { close(true); } }
    }));
    box.appendChild(el("p", { "class": "t", id: "cl-t", text: cfg.survey.title || labels.dialog }));
    box.appendChild(R.body);
    box.appendChild(R.live);
    if (popup) root.appendChild(el("div", { "class": "ov", on: { click: function () { close(true); } } }));
    root.appendChild(box);
    d.body.appendChild(host);
    var invitation = S.invitation;
    S.invitation = null;
    R.shownP = api("shown", { invitation: invitation }).then(safe(function (r) {
      R.invitation = r.data.invitation || null;
      if (r.data.url && R.link) R.link.href = BASE + r.data.url;
      if (r.data.url) R.url = r.data.url;
    }));
    if (cfg.survey.inline) {
      R.page = land(cfg.survey.pages[0].key);
      R.index = -1;
      advance();
    } else {
      R.link = el("a", {
        href: BASE + (R.url || cfg.url), target: "_blank", rel: "noopener", text: labels.full,
        on: { click: function () { setTimeout(safe(function () { close(false); }), 0); } }
      });
      R.body.appendChild(el("p", {}, [R.link]));
      focusFirst();
    }
  }

  function focusables() {
    return [].slice.call(R.box.querySelectorAll("button,input,textarea,a[href]")).filter(function (n) {
      return !n.disabled && n.tabIndex >= 0;
    });
  }

  function focusFirst(inside) {
    // A slide-in never takes the focus from the page; it keeps it once the visitor is inside.
    if (!R.popup && !inside) return;
    var list = focusables();
    var pick = list[1] || list[0];
    if (pick) pick.focus();
  }

  function keys(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      close(true);
    } else if (e.key === "Tab" && R.popup) {
      var list = focusables();
      var first = list[0];
      var last = list[list.length - 1];
      var active = R.root.activeElement;
      if (e.shiftKey && active === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  function close(dismissed) {
    if (!S.open) return;
    S.open = 0;
    var was = R;
    if (dismissed && !R.done) {
      R.shownP.then(function () { api("dismissed", { invitation: was.invitation }); });
    }
    var inside = R.root.activeElement;
    if (R.host.parentNode) R.host.parentNode.removeChild(R.host);
    if ((R.popup || inside) && R.back && R.back.focus) R.back.focus();
  }

  // --- survey logic (mirrors the server's; the server checks again) -------------------------

  function value(field) {
    var dot = field.indexOf(".");
    var ns = field.slice(0, dot);
    var ref = field.slice(dot + 1);
    if (ns === "hidden") return hidden()[ref];
    if (ns !== "answer") return undefined;
    var v = R.answers[ref];
    if (v && typeof v === "object" && !Array.isArray(v)) return v.choices || v.choice;
    return v;
  }

  function answered(v) {
    return v != null && !((typeof v === "string" || Array.isArray(v)) && !v.length);
  }

  function same(a, b) {
    if (typeof b === "number") return a !== "" && +a === b;
    if (typeof b === "boolean") return a === b || String(a).toLowerCase() === String(b);
    return String(a) === String(b);
  }

  function test(c) {
    if (!c) return true;
    if (c.all) return c.all.every(test);
    if (c.any) return c.any.some(test);
    if (c.not) return !test(c.not);
    var v = value(c.field);
    var x = c.value;
    var op = c.op;
    if (op === "answered") return answered(v);
    if (op === "not_answered") return !answered(v);
    if (!answered(v)) return op === "ne" || op === "not_in";
    var items = Array.isArray(v) ? v : [v];
    var opts = Array.isArray(x) ? x : [x];
    var hit = items.some(function (i) {
      return opts.some(function (o) { return same(i, o); });
    });
    if (op === "eq") return Array.isArray(v) ? String(v.slice().sort()) === String(opts.slice().sort()) : same(v, x);
    if (op === "ne") return !same(v, x);
    if (op === "in") return hit;
    if (op === "not_in") return !hit;
    if (op === "contains") {
      return Array.isArray(v) ? hit : String(v).toLowerCase().indexOf(String(x).toLowerCase()) >= 0;
    }
    if (op === "nps_category") return (+v >= 9 ? "promoter" : +v >= 7 ? "passive" : "detractor") === x;
    var a = +v;
    var b = +x;
    if (isNaN(a) || isNaN(b)) return false;
    return op === "lt" ? a < b : op === "lte" ? a <= b : op === "gt" ? a > b : op === "gte" ? a >= b : false;
  }

  function pageOf(key) {
    return S.cfg.survey.pages.filter(function (p) { return p.key === key; })[0];
  }

  function after(page) {
    if (page.next) return page.next;
    var pages = S.cfg.survey.pages;
    var next = pages[pages.indexOf(page) + 1];
    return next ? next.key : null;
  }

  function land(target) {
    var seen = {};
    while (target && !seen[target]) {
      if (target.indexOf("ending:") === 0) return null;
      seen[target] = 1;
      var page = pageOf(target);
      if (!page) return null;
      if (test(page.show_if)) return page;
      target = after(page);
    }
    return null;
  }

  function nextPage(page) {
    var jumps = page.jumps || [];
    for (var i = 0; i < jumps.length; i++) if (test(jumps[i]["if"])) return land(jumps[i].to);
    return land(after(page));
  }

  function advance() {
    while (R.page) {
      R.index++;
      var q = R.page.questions[R.index];
      if (!q) {
        R.page = nextPage(R.page);
        R.index = -1;
        continue;
      }
      if (test(q.show_if)) return render(q, isLast());
    }
    submit();
  }

  function isLast() {
    // The last question unless a later one may still show (a cheap look-ahead: no jumps).
    var rest = R.page.questions.slice(R.index + 1);
    return !rest.length && !land(after(R.page)) && !(R.page.jumps || []).length;
  }

  function hidden() {
    return { page_url: location.href.slice(0, 500) };
  }

  // --- questions -----------------------------------------------------------------------------

  function render(q, last) {
    var labels = S.cfg.labels;
    var body = R.body;
    var inside = !!R.root.activeElement;
    body.textContent = "";
    R.q = q;
    R.err = el("p", { "class": "err", id: "cl-e", role: "alert" });
    body.appendChild(el("p", { "class": "q", id: "cl-q", text: q.title }));
    if (q.help) body.appendChild(el("p", { "class": "h", text: q.help }));
    R.get = CONTROLS[q.type] ? CONTROLS[q.type](q, body) : function () { return null; };
    body.appendChild(R.err);
    body.appendChild(el("button", {
      "class": "go", type: "button", text: last ? labels.submit : labels.next,
      on: { click: next }
    }));
    focusFirst(inside);
  }

  function next() {
    var q = R.q;
    var v = R.get();
    if (v === undefined) return;
    if (q.required && !answered(v)) return fail(S.cfg.labels.required);
    if (v != null && answered(v)) R.answers[q.key] = v;
    else delete R.answers[q.key];
    advance();
  }

  function fail(message) {
    R.err.textContent = message;
    var c = R.body.querySelector("[aria-describedby]");
    if (c) c.setAttribute("aria-invalid", "true");
  }

  function scale(q, body) {
    var picked = null;
    var buttons = [];
    var group = el("div", { "class": "sc", role: "radiogroup", "aria-labelledby": "cl-q", "aria-describedby": "cl-e" });
    function pick(i, focus) {
      picked = q.min + i;
      buttons.forEach(function (b, j) {
        b.setAttribute("aria-checked", String(j === i));
        b.tabIndex = j === i ? 0 : -1;
        b.className = (q.stars ? j <= i : j === i) ? "on" : "";
      });
      if (focus) buttons[i].focus();
    }
    for (var n = q.min; n <= q.max; n++) {
      buttons.push(el("button", {
        type: "button", role: "radio", "aria-checked": "false", tabindex: n === q.min ? 0 : -1,
        "aria-label": q.stars ? n + " / " + q.max : null, text: q.stars ? "\u2605" : String(n),
        on: { click: (function (i) { return function () { pick(i, true); }; })(n - q.min) }
      }));
    }
    buttons.forEach(function (b) { group.appendChild(b); });
    group.addEventListener("keydown", safe(function (e) {
      var i = picked == null ? buttons.indexOf(R.root.activeElement) : picked - q.min;
      var rtl = S.cfg.dir === "rtl";
      var step = { ArrowRight: rtl ? -1 : 1, ArrowDown: 1, ArrowLeft: rtl ? 1 : -1, ArrowUp: -1 }[e.key];
      var end = buttons.length - 1;
      if (step) i = i < 0 ? (step > 0 ? 0 : end) : (i + step + buttons.length) % buttons.length;
      else if (e.key === "Home") i = 0;
      else if (e.key === "End") i = end;
      else return;
      e.preventDefault();
      pick(i, true);
    }));
    body.appendChild(group);
    if (q.low || q.high) {
      body.appendChild(el("div", { "class": "lb", "aria-hidden": "true" }, [
        el("span", { text: q.low }), el("span", { text: q.high })
      ]));
    }
    return function () { return picked; };
  }

  function choice(q, body) {
    var type = q.multi ? "checkbox" : "radio";
    var name = "cl-" + q.key;
    var list = el("div", { "class": "ch", role: q.multi ? "group" : "radiogroup", "aria-labelledby": "cl-q", "aria-describedby": "cl-e" });
    var inputs = [];
    var options = q.choices.slice();
    if (q.other) options.push(["other", q.other]);
    options.forEach(function (c) {
      var input = el("input", { type: type, name: name, value: c[0] });
      inputs.push(input);
      list.appendChild(el("label", {}, [input, el("span", { text: c[1] })]));
    });
    var other = q.other && el("input", { type: "text", "aria-label": q.other + ": " + S.cfg.labels.other, maxlength: 500 });
    if (other) list.appendChild(other);
    body.appendChild(list);
    return function () {
      var keys = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      var text = other ? other.value.trim() : "";
      if (q.multi) {
        if (q.max_selected && keys.length > q.max_selected) return fail("\u2264 " + q.max_selected);
        return keys.length ? { choices: keys, other: keys.indexOf("other") >= 0 ? text : null } : null;
      }
      if (keys[0] === "other" && !text) return fail(S.cfg.labels.other);
      return keys.length ? { choice: keys[0], other: keys[0] === "other" ? text : null } : null;
    };
  }

  function text(q, body) {
    var long = q.type === "long_text";
    var field = el(long ? "textarea" : "input", {
      type: long ? null : q.type === "email" ? "email" : "text", maxlength: q.max_length,
      placeholder: q.placeholder || null, "aria-labelledby": "cl-q", "aria-describedby": "cl-e"
    });
    body.appendChild(field);
    return function () { return field.value.trim(); };
  }

  function consent(q, body) {
    var box = el("input", { type: "checkbox", "aria-describedby": "cl-e" });
    body.appendChild(el("div", { "class": "ch" }, [el("label", {}, [box, el("span", { text: q.text })])]));
    return function () { return box.checked || (q.required ? null : false); };
  }

  var CONTROLS = {
    nps: scale, csat: scale, ces: scale, rating: scale,
    single_choice: choice, dropdown: choice, multiple_choice: choice,
    short_text: text, long_text: text, email: text, consent: consent
  };

  // --- answers -------------------------------------------------------------------------------

  function submit() {
    var labels = S.cfg.labels;
    if (R.sending) return;
    R.sending = 1;
    api("responses", {
      answers: R.answers, lang: S.cfg.language, hidden: hidden(), invitation: R.invitation, nonce: R.nonce
    }).then(safe(function (r) {
      R.sending = 0;
      if (r.ok) return thanks();
      var field = r.data.field;
      var message = (r.data.errors && r.data.errors[field]) || labels.error;
      S.cfg.survey.pages.forEach(function (page) {
        page.questions.forEach(function (q, i) {
          if (q.key === field) {
            R.page = page;
            R.index = i;
            R.q = q;
          }
        });
      });
      render(R.q, !R.page || isLast());
      fail(message);
    }));
  }

  function thanks() {
    R.done = 1;
    R.body.textContent = "";
    R.live.textContent = S.cfg.survey.thanks;
    var x = R.box.querySelector(".x");
    if ((R.popup || R.root.activeElement) && x) x.focus();
    setTimeout(safe(function () { close(false); }), 4000);
  }

  // --- start ---------------------------------------------------------------------------------

  safe(function () {
    queue.forEach(function (args) { closeloop.apply(null, [].slice.call(args)); });
    load();
  })();
})(window, document);
