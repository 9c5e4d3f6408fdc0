// Browser-side stand-in for hCaptcha's api.js, served in tests in place of
// https://js.hcaptcha.com/1/api.js (Playwright page.route). It implements the part of the
// window.hcaptcha API that @hcaptcha/react-hcaptcha uses, renders a checkbox, and when the box
// is ticked asks the local siteverify double (tests/helpers/hcaptcha-verifier.ts) for a token,
// exactly as the real widget gets one from hCaptcha after a person solves a challenge.
// "__VERIFIER_URL__" is replaced with the verifier's base URL when the script is served.
(function () {
  "use strict";
  var VERIFIER = "__VERIFIER_URL__";
  var widgets = {};
  var nextId = 1;
  var script = document.currentScript;
  var params = new URL(script ? script.src : location.href).searchParams;

  function widget(id) {
    var w = widgets[id === undefined ? Object.keys(widgets)[0] : id];
    if (!w) throw new Error("[hCaptcha double] unknown widget " + id);
    return w;
  }

  function setTicked(w, ticked, text) {
    w.box.checked = ticked;
    w.box.disabled = ticked;
    w.label.textContent = text;
  }

  function solve(w) {
    setTicked(w, true, "Checking…");
    return fetch(VERIFIER + "/test/issue", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sitekey: w.params.sitekey, hostname: location.hostname }),
    })
      .then(function (r) {
        if (!r.ok) throw new Error("issue failed: " + r.status);
        return r.json();
      })
      .then(function (body) {
        w.response = body.token;
        setTicked(w, true, "Verified (test double)");
        if (typeof w.params.callback === "function") w.params.callback(body.token);
        return { response: body.token, key: "E0_test" };
      })
      .catch(function (e) {
        console.error("[hCaptcha double] could not get a token:", e && e.message ? e.message : e);
        setTicked(w, false, "I am human");
        if (typeof w.params["error-callback"] === "function") w.params["error-callback"]("network-error");
        throw e;
      });
  }

  window.hcaptcha = {
    render: function (container, opts) {
      var el = typeof container === "string" ? document.getElementById(container) : container;
      var id = String(nextId++);
      var wrap = document.createElement("label");
      wrap.setAttribute("data-testid", "hcaptcha-double");
      wrap.style.cssText =
        "display:inline-flex;align-items:center;gap:10px;padding:12px 16px;border:1px solid #d0d7de;border-radius:4px;background:#fafafa;font:14px sans-serif;cursor:pointer";
      var box = document.createElement("input");
      box.type = "checkbox";
      box.style.cssText = "width:22px;height:22px";
      var label = document.createElement("span");
      label.textContent = "I am human";
      var brand = document.createElement("span");
      brand.textContent = "hCaptcha (test double)";
      brand.style.cssText = "margin-left:24px;font-size:11px;color:#555";
      wrap.appendChild(box);
      wrap.appendChild(label);
      wrap.appendChild(brand);
      el.appendChild(wrap);
      var w = { params: opts || {}, el: el, wrap: wrap, box: box, label: label, response: "" };
      widgets[id] = w;
      box.addEventListener("change", function () {
        if (box.checked) solve(w).catch(function () {});
      });
      return id;
    },
    getResponse: function (id) {
      return widget(id).response;
    },
    getRespKey: function () {
      return "E0_test";
    },
    reset: function (id) {
      var w = widget(id);
      w.response = "";
      setTicked(w, false, "I am human");
    },
    remove: function (id) {
      var w = widgets[id];
      if (w && w.wrap.parentNode) w.wrap.parentNode.removeChild(w.wrap);
      delete widgets[id];
    },
    execute: function (id, opts) {
      var p = solve(widget(id));
      return opts && opts.async ? p : undefined;
    },
    setData: function () {},
    close: function () {},
  };

  var onload = params.get("onload");
  if (onload && typeof window[onload] === "function")
    setTimeout(function () {
      window[onload]();
    }, 0);
})();
