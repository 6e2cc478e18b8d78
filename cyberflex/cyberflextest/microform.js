/*
 * cyberflextest Microform: a stand-in for CyberSource Microform Integration v2, for tests and
 * local sandboxes only. It offers the part of the Microform v2 API a merchant's card page calls:
 *
 *   var flex = new Flex(captureContext);
 *   var microform = flex.microform({ styles: styles });
 *   var number = microform.createField("number", { placeholder: "Card number" });
 *   number.load("#number-container");    // also on, off, focus, clear, update, unload, dispose
 *   microform.createToken({ expirationMonth: "12", expirationYear: "2031" },
 *     function (err, token) { ... });
 *
 * The fields are plain <input> elements in the merchant's page, not cross-origin iframes: the
 * page's own scripts can read what is typed. createToken does what Microform does: it encrypts
 * {"context": <capture context>, "data": {...}, "index": 0} as a compact JWE (RSA-OAEP-256,
 * A256GCM, kid = flx.jwk.kid) to the capture context's one-time key with WebCrypto, POSTs it to
 * flx.origin + flx.path and calls back with the transient token the fake answers. Plain
 * JavaScript, no dependencies, no build step. The package documentation of cyberflextest says
 * what it does not do.
 */
(function () {
  "use strict";

  var FIELD_TYPES = ["number", "securityCode"];
  var EVENTS = ["autocomplete", "blur", "change", "error", "focus", "inputSubmitRequest", "load",
    "unload", "update"];
  var CONTAINER_CLASSES = ["flex-microform", "flex-microform-focused", "flex-microform-valid",
    "flex-microform-invalid", "flex-microform-disabled"];
  var TOKEN_TIMEOUT_MS = 30000;

  // network makes a card network: its allowedCardNetworks name, Microform's name and branded
  // name, CyberSource's card type code, issuer prefix ranges [low, high] (the ones the fake
  // detects), the number's lengths and where spaces go, and its security code.
  function network(allowed, name, brandedName, cybsCardType, ranges, lengths, spaceIndexes,
    codeName, codeLength) {
    return { allowed: allowed, name: name, brandedName: brandedName, cybsCardType: cybsCardType,
      ranges: ranges, lengths: lengths, spaceIndexes: spaceIndexes,
      securityCode: { name: codeName, length: codeLength } };
  }
  var NETWORKS = [
    network("VISA", "visa", "Visa", "001", [["4", "4"]], [13, 16, 19], [4, 8, 12], "CVV", 3),
    network("MASTERCARD", "mastercard", "Mastercard", "002", [["51", "55"], ["2221", "2720"]],
      [16], [4, 8, 12], "CVC", 3),
    network("AMEX", "amex", "American Express", "003", [["34", "34"], ["37", "37"]], [15],
      [4, 10], "CID", 4),
    network("DISCOVER", "discover", "Discover", "004",
      [["6011", "6011"], ["644", "649"], ["65", "65"]], [16, 19], [4, 8, 12], "CID", 3),
    network("DINERSCLUB", "diners-club", "Diners Club", "005",
      [["300", "305"], ["36", "36"], ["38", "39"]], [14, 16], [4, 10], "CVV", 3),
    network("JCB", "jcb", "JCB", "007", [["3528", "3589"]], [16], [4, 8, 12], "CVV", 3),
    network("CUP", "cup", "China UnionPay", "062", [["62", "62"]], [16, 19], [4, 8, 12],
      "CVN2", 3),
    network("MAESTRO", "maestro", "Maestro", "042",
      [["50", "50"], ["56", "58"], ["63", "63"], ["67", "67"]],
      [12, 13, 14, 15, 16, 17, 18, 19], [4, 8, 12], "CVC", 3)
  ];

  // The fields the fake's error details name, as Microform's details name them.
  var LOCATIONS = {
    "paymentInformation.card.number": "number",
    "paymentInformation.card.securityCode": "securityCode",
    "paymentInformation.card.expirationMonth": "expirationMonth",
    "paymentInformation.card.expirationYear": "expirationYear",
    "paymentInformation.card.type": "type"
  };

  function MicroformError(reason, message, details) {
    this.name = "MicroformError";
    this.reason = reason;
    this.message = message;
    if (details !== undefined) {
      this.details = details;
    }
  }
  MicroformError.prototype = Object.create(Error.prototype);
  MicroformError.prototype.constructor = MicroformError;

  function validationError(reason, message, locations) {
    return new MicroformError(reason, message, locations.map(function (l) {
      return { location: l, message: "Validation error" };
    }));
  }

  function describe(e) { return String((e && e.message) || e); }

  function own(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); }

  // decodeClaims returns the claims of a compact JWS without verifying them: the fake, which
  // issued the capture context, checks it when the token is created.
  function decodeClaims(jwt) {
    var parts = typeof jwt === "string" ? jwt.trim().split(".") : [];
    if (parts.length !== 3) {
      return null;
    }
    try {
      var binary = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
      var bytes = Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return null;
    }
  }

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // encrypt returns the compact JWE of plaintext to the RSA key jwk: alg RSA-OAEP-256, enc
  // A256GCM, the protected header {"alg","enc","kid"} as the additional data (RFC 7516).
  async function encrypt(jwk, plaintext) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle) {
      throw new Error("WebCrypto is not available: the page must be a secure context " +
        "(https, or http on localhost)");
    }
    var utf8 = new TextEncoder();
    var rsa = await subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e, alg: "RSA-OAEP-256" },
      { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"]);
    var header = b64url(utf8.encode(JSON.stringify({ alg: "RSA-OAEP-256", enc: "A256GCM",
      kid: jwk.kid })));
    var cek = window.crypto.getRandomValues(new Uint8Array(32));
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    var plain = utf8.encode(plaintext);
    try {
      var aes = await subtle.importKey("raw", cek, { name: "AES-GCM" }, false, ["encrypt"]);
      var sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: iv,
        additionalData: utf8.encode(header), tagLength: 128 }, aes, plain));
      var encryptedKey = new Uint8Array(await subtle.encrypt({ name: "RSA-OAEP" }, rsa, cek));
      var tag = sealed.length - 16;
      return [header, b64url(encryptedKey), b64url(iv), b64url(sealed.subarray(0, tag)),
        b64url(sealed.subarray(tag))].join(".");
    } finally {
      cek.fill(0);
      plain.fill(0);
    }
  }

  function digitsOnly(s) { return /^[0-9]*$/.test(s); }

  function luhn(n) {
    var sum = 0;
    for (var i = 0; i < n.length; i++) {
      var d = n.charCodeAt(n.length - 1 - i) - 48;
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function detect(n) {
    return NETWORKS.filter(function (net) {
      return net.ranges.some(function (r) {
        var p = n.slice(0, r[0].length);
        return p.length === r[0].length && p >= r[0] && p <= r[1];
      });
    });
  }

  function longest(lengths) { return Math.max.apply(null, lengths); }

  // numberState is the state of a card number field: the networks it may be of (the change
  // event's card), whether it is empty, valid, or could still become valid. A network the
  // capture context does not allow makes it invalid.
  function numberState(value, allowed) {
    var n = value.replace(/[\s-]/g, "");
    var cards = digitsOnly(n) ? detect(n) : [];
    if (allowed && allowed.length > 0) {
      cards = cards.filter(function (c) { return allowed.indexOf(c.allowed) >= 0; });
    }
    var valid = n.length >= 12 && n.length <= 19 && luhn(n) &&
      cards.some(function (c) { return c.lengths.indexOf(n.length) >= 0; });
    var max = cards.length === 0 ? 19 :
      longest(cards.map(function (c) { return longest(c.lengths); }));
    // Until four digits are typed, a number of no known network may still become one.
    var couldBeValid = valid ||
      (digitsOnly(n) && n.length < max && (cards.length > 0 || n.length < 4));
    return {
      value: n,
      empty: n.length === 0,
      valid: valid,
      couldBeValid: couldBeValid,
      card: cards.map(function (c) {
        return { name: c.name, brandedName: c.brandedName, cybsCardType: c.cybsCardType,
          spaceIndexes: c.spaceIndexes.slice(), lengths: c.lengths.slice(),
          securityCode: { name: c.securityCode.name, length: c.securityCode.length } };
      })
    };
  }

  // securityCodeState: 3 or 4 digits, or the length of the network the number is of.
  function securityCodeState(value, card) {
    var want = card && card.length === 1 ? [card[0].securityCode.length] : [3, 4];
    var valid = digitsOnly(value) && want.indexOf(value.length) >= 0;
    return {
      value: value,
      empty: value.length === 0,
      valid: valid,
      couldBeValid: valid || (digitsOnly(value) && value.length < longest(want))
    };
  }

  function Field(microform, type, options) {
    this._microform = microform;
    this._type = type;
    this._options = options || {};
    this._handlers = {};
    this._container = null;
    this._input = null;
    this._focused = false;
  }

  Field.prototype.on = function (event, callback) {
    if (EVENTS.indexOf(event) < 0) {
      throw new MicroformError("FIELD_SUBSCRIBE_UNSUPPORTED_EVENT", "Unsupported event " +
        JSON.stringify(event) + "; the events are " + EVENTS.join(", ") + ".");
    }
    if (typeof callback !== "function") {
      throw new MicroformError("FIELD_SUBSCRIBE_INVALID_CALLBACK",
        "The callback must be a function.");
    }
    (this._handlers[event] = this._handlers[event] || []).push(callback);
  };

  Field.prototype.off = function (event, callback) {
    this._handlers[event] = callback === undefined ? [] :
      (this._handlers[event] || []).filter(function (h) { return h !== callback; });
  };

  Field.prototype._emit = function (event, data) {
    (this._handlers[event] || []).slice().forEach(function (h) { h(data); });
  };

  Field.prototype._state = function () {
    var value = this._input ? this._input.value : "";
    if (this._type === "number") {
      return numberState(value, this._microform._allowedNetworks);
    }
    var number = this._microform._fields.number;
    return securityCodeState(value.trim(), number && number._input ? number._state().card : null);
  };

  Field.prototype.load = function (container) {
    if (this._input) {
      throw new MicroformError("FIELD_ALREADY_LOADED", "The field is loaded; unload it first.");
    }
    var el = container;
    if (typeof container === "string") {
      el = document.querySelector(container);
      if (!el) {
        throw new MicroformError("FIELD_LOAD_CONTAINER_SELECTOR", "No element matches " +
          JSON.stringify(container) + ".");
      }
    } else if (!(container instanceof HTMLElement)) {
      throw new MicroformError("FIELD_LOAD_INVALID_CONTAINER",
        "load takes an HTMLElement or a CSS selector.");
    }
    var number = this._type === "number";
    var input = document.createElement("input");
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = number ? "cc-number" : "cc-csc";
    input.maxLength = number ? 23 : 4;
    input.setAttribute("data-microform-field", this._type);
    input.setAttribute("aria-label", number ? "Card number" : "Security code");
    this._container = el;
    this._input = input;
    this._applyOptions();
    var self = this;
    input.addEventListener("input", function () {
      var s = self._state();
      self._render(s);
      self._emit("change", { card: s.card, empty: s.empty, valid: s.valid,
        couldBeValid: s.couldBeValid });
    });
    input.addEventListener("focus", function () {
      self._focused = true;
      self._render();
      self._emit("focus", {});
    });
    input.addEventListener("blur", function () {
      self._focused = false;
      self._render();
      self._emit("blur", {});
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        self._emit("inputSubmitRequest", {});
      }
    });
    el.classList.add("flex-microform");
    el.appendChild(input);
    this._render();
    // Microform loads its iframe asynchronously: "load" comes after load() returns, so that a
    // page may subscribe right after calling it.
    setTimeout(function () {
      if (self._input === input) {
        self._emit("load", {});
      }
    }, 0);
  };

  // update changes the field's options: placeholder, title, disabled.
  Field.prototype.update = function (options) {
    options = options || {};
    for (var k in options) {
      if (own(options, k)) {
        this._options[k] = options[k];
      }
    }
    if (this._input) {
      this._applyOptions();
      this._emit("update", {});
    }
  };

  Field.prototype._applyOptions = function () {
    this._input.placeholder = this._options.placeholder || "";
    this._input.disabled = !!this._options.disabled;
    if (this._options.title) {
      this._input.setAttribute("aria-label", this._options.title);
    }
    this._render();
  };

  // _render applies the styles of the field's state to the input, inline, and Microform's
  // classes to the container.
  Field.prototype._render = function (s) {
    var input = this._input;
    if (!input) {
      return;
    }
    s = s || this._state();
    var styles = this._microform._styles;
    var invalid = !s.empty && !s.couldBeValid;
    var valid = !s.empty && s.valid;
    input.style.cssText = "width:100%;height:100%;box-sizing:border-box;border:0;outline:0;" +
      "padding:0;background:transparent;font:inherit;color:inherit;";
    var rules = [["input", true], [":disabled", input.disabled], ["valid", valid],
      ["invalid", invalid], [":focus", this._focused]];
    rules.forEach(function (rule) {
      var props = (rule[1] && styles[rule[0]]) || {};
      for (var p in props) {
        if (own(props, p)) {
          input.style.setProperty(p, String(props[p]).replace(/;\s*$/, ""));
        }
      }
    });
    var classes = this._container.classList;
    classes.toggle("flex-microform-focused", this._focused);
    classes.toggle("flex-microform-valid", valid);
    classes.toggle("flex-microform-invalid", invalid);
    classes.toggle("flex-microform-disabled", input.disabled);
  };

  Field.prototype.focus = function () {
    if (this._input) {
      this._input.focus();
    }
  };

  Field.prototype.clear = function () {
    if (this._input) {
      this._input.value = "";
      this._render();
    }
  };

  Field.prototype.unload = function () {
    if (!this._input) {
      throw new MicroformError("FIELD_UNLOAD_ERROR", "The field is not loaded.");
    }
    this._input.remove();
    var classes = this._container.classList;
    CONTAINER_CLASSES.forEach(function (c) { classes.remove(c); });
    this._input = null;
    this._container = null;
    this._focused = false;
    this._emit("unload", {});
  };

  Field.prototype.dispose = function () {
    if (this._input) {
      this.unload();
    }
    this._handlers = {};
    delete this._microform._fields[this._type];
  };

  function Microform(flex, options) {
    var data = flex._claims.ctx && flex._claims.ctx[0] && flex._claims.ctx[0].data;
    this._flex = flex;
    this._styles = (options && options.styles) || {};
    this._fields = {};
    this._allowedNetworks = data && data.allowedCardNetworks;
    this._targetOrigins = (data && data.targetOrigins) || [];
  }

  Microform.prototype.createField = function (type, options) {
    if (FIELD_TYPES.indexOf(type) < 0) {
      throw new MicroformError("CREATE_FIELD_INVALID_FIELD_TYPE", "Invalid field " +
        JSON.stringify(type) + "; the fields are " + FIELD_TYPES.join(", ") + ".");
    }
    if (this._fields[type]) {
      throw new MicroformError("CREATE_FIELD_DUPLICATE", "There is a " + type + " field already.");
    }
    return (this._fields[type] = new Field(this, type, options));
  };

  // createToken reads the fields, encrypts them with the options to the capture context's
  // one-time key and calls back (err, transientToken) with what the fake answers.
  Microform.prototype.createToken = function (options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    this._createToken(options || {}).then(function (token) { callback(null, token); },
      function (err) {
        callback(err instanceof MicroformError ? err :
          new MicroformError("CREATE_TOKEN_UNABLE_TO_START", describe(err)));
      });
  };

  // _card returns the card data, checked, in the member order cyberflex.Tokenize writes it,
  // empty values left out.
  Microform.prototype._card = function (options) {
    var number = this._fields.number;
    var code = this._fields.securityCode;
    if (!(number && number._input) && !(code && code._input)) {
      throw new MicroformError("CREATE_TOKEN_NO_FIELDS_LOADED", "No field is loaded.");
    }
    if (!(number && number._input)) {
      throw new MicroformError("CREATE_TOKEN_NO_FIELDS", "The number field is not loaded.");
    }
    var text = function (v) { return v === undefined || v === null ? "" : String(v); };
    var month = text(options.expirationMonth);
    var year = text(options.expirationYear);
    var type = text(options.type);
    var params = [];
    if (month !== "" && !/^(0[1-9]|1[0-2])$/.test(month)) {
      params.push("expirationMonth");
    }
    if (year !== "" && !/^[0-9]{4}$/.test(year)) {
      params.push("expirationYear");
    }
    if (type !== "" && !/^[0-9]{3}$/.test(type)) {
      params.push("type");
    }
    if (params.length > 0) {
      throw validationError("CREATE_TOKEN_VALIDATION_PARAMS", "Options are not valid.", params);
    }
    var n = number._state();
    var c = code && code._input ? code._state() : null;
    var fields = [];
    if (!n.valid) {
      fields.push("number");
    }
    if (c && !c.valid) {
      fields.push("securityCode");
    }
    if (fields.length > 0) {
      throw validationError("CREATE_TOKEN_VALIDATION_FIELDS", "Fields are not valid.", fields);
    }
    var card = {};
    if (month !== "") {
      card.expirationMonth = month;
    }
    if (year !== "") {
      card.expirationYear = year;
    }
    card.number = n.value;
    if (c && c.value !== "") {
      card.securityCode = c.value;
    }
    if (type !== "") {
      card.type = type;
    }
    return card;
  };

  Microform.prototype._createToken = async function (options) {
    var card = this._card(options);
    var origin = window.location.origin;
    if (this._targetOrigins.indexOf(origin) < 0) {
      throw new MicroformError("CAPTURE_CONTEXT_INVALID", "This page's origin " + origin +
        " is not one of the capture context's targetOrigins (" + this._targetOrigins.join(", ") +
        ").");
    }
    var flx = this._flex._claims.flx;
    var url = flx.origin + flx.path;
    var jwe;
    try {
      jwe = await encrypt(flx.jwk, JSON.stringify({ context: this._flex._token,
        data: { paymentInformation: { card: card } }, index: 0 }));
    } catch (e) {
      throw new MicroformError("BROWSER_ENCRYPTION_FAILED", "Encrypting the card data failed: " +
        describe(e));
    }

    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, TOKEN_TIMEOUT_MS);
    var resp, body;
    try {
      resp = await window.fetch(url, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/jwt", "Accept": "application/jwt" },
        body: jwe,
        signal: abort.signal
      });
      body = await resp.text();
    } catch (e) {
      if (abort.signal.aborted) {
        throw new MicroformError("CREATE_TOKEN_TIMEOUT", "No answer from " + url + " within " +
          TOKEN_TIMEOUT_MS / 1000 + " s.");
      }
      throw new MicroformError("CREATE_TOKEN_XHR_ERROR", "POST " + url + " failed (" +
        describe(e) + "): is the fake running, and is this page's origin one of the capture " +
        "context's targetOrigins?");
    } finally {
      clearTimeout(timer);
    }
    if (resp.ok) {
      var token = body.trim();
      if (!decodeClaims(token)) {
        throw new MicroformError("MALFORMED_TOKENS_RESPONSE", "The answer of " + url +
          " is not a JWT.");
      }
      return token;
    }
    throw answerError(resp, body);
  };

  // answerError is the MicroformError of an error answer of the fake.
  function answerError(resp, body) {
    var answer;
    try {
      answer = JSON.parse(body) || {};
    } catch (e) {
      answer = {};
    }
    var reason = answer.reason || "";
    var message = answer.message || body.slice(0, 200);
    var err;
    if (reason === "CAPTURE_CONTEXT_INVALID" || reason === "CAPTURE_CONTEXT_EXPIRED") {
      err = new MicroformError(reason, message);
    } else if (resp.status === 400 && Array.isArray(answer.details) && answer.details.length > 0) {
      err = new MicroformError("CREATE_TOKEN_VALIDATION_SERVERSIDE", message,
        answer.details.map(function (d) {
          return { location: LOCATIONS[d.location] || d.location, message: d.message };
        }));
    } else if (resp.status >= 500) {
      err = new MicroformError("API_INTERNAL_ERROR", "HTTP " + resp.status + ": " + message);
    } else {
      err = new MicroformError("UNKNOWN_REASON", "HTTP " + resp.status + ": " +
        (reason ? reason + ": " : "") + message);
    }
    err.correlationId = resp.headers.get("v-c-correlation-id") || answer.correlationId;
    return err;
  }

  function Flex(captureContext) {
    if (!(this instanceof Flex)) {
      return new Flex(captureContext);
    }
    var claims = decodeClaims(captureContext);
    var flx = claims && claims.flx;
    if (!flx || !flx.jwk || !flx.jwk.n || !flx.jwk.e || !flx.jwk.kid || !flx.origin || !flx.path) {
      throw new MicroformError("CAPTURE_CONTEXT_INVALID",
        "The capture context is not a JWT with flx.origin, flx.path and flx.jwk.");
    }
    this._token = captureContext.trim();
    this._claims = claims;
  }

  // microform takes ({styles}), as in Microform v2, or (paymentType, {styles}), as later versions.
  Flex.prototype.microform = function (a, b) {
    return new Microform(this, typeof a === "string" ? b : a);
  };

  window.Flex = Flex;
})();
