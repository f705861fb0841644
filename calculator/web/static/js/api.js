// The pages' calls to the JSON API: the reviewer's API key (kept in this tab only), sending
// with upload progress, server-rendered views of documents, and problem details in words.
(function () {
  "use strict";
  var KEY = "calculator.api-key";

  function key() {
    try { return sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }

  function rememberKey(value) {
    try {
      if (value) { sessionStorage.setItem(KEY, value); } else { sessionStorage.removeItem(KEY); }
    } catch (e) { /* storage off: the key is used for this request only */ }
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  // Resolves with {status, location, json, text} whatever the status; rejects only when the
  // service cannot be reached. XMLHttpRequest, because fetch() reports no upload progress.
  function send(method, url, body, options) {
    options = options || {};
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Accept", options.accept || "application/json, application/problem+json");
      if (options.contentType) { xhr.setRequestHeader("Content-Type", options.contentType); }
      Object.keys(options.headers || {}).forEach(function (name) {
        xhr.setRequestHeader(name, options.headers[name]);
      });
      if (options.auth !== false && key()) { xhr.setRequestHeader("Authorization", "Bearer " + key()); }
      if (options.onUpload) {
        xhr.upload.addEventListener("progress", function (event) {
          options.onUpload(event.lengthComputable ? event.loaded / event.total : null);
        });
      }
      if (options.onSent) { xhr.upload.addEventListener("load", options.onSent); }
      xhr.addEventListener("load", function () {
        resolve({status: xhr.status, location: xhr.getResponseHeader("Location"),
                 retryAfter: Number(xhr.getResponseHeader("Retry-After")) || 0,
                 text: xhr.responseText, json: parse(xhr.responseText)});
      });
      xhr.addEventListener("error", function () {
        reject(new Error("The service could not be reached. Check the connection and try again."));
      });
      xhr.send(body === undefined ? null : body);
    });
  }

  function ok(answer) { return answer.status >= 200 && answer.status < 300; }

  var HINTS = {
    401: "Enter the API key in the “API key” field and try again; ask whoever runs the service for one.",
    404: "Check the address; a stored assessment is visible only with the key it was made with.",
    // The limit counts the log's bytes after decompression: compressing it does not help.
    413: "The limit counts the log as it is after decompression, so compressing it does not help. " +
         "Split the log by period and assess each part, or ask whoever runs the service to assess it " +
         "for you: the service's own tools have no size limit. Programs can send large logs as a " +
         "job (POST /v1/assessments with Prefer: respond-async, then GET /v1/jobs/{id}).",
    415: "Send the log as a file: CSV, JSON Lines or JSON, gzip or not.",
    422: "Correct the file or the option named above, then try again (rows count from 1, the header not counted)."
  };

  function where(error) {
    var parts = [];
    if (error.file) { parts.push(error.file + (error.line ? ":" + error.line : "")); }
    else if (error.line != null) { parts.push("line " + error.line); }
    if (error.row != null) { parts.push("row " + error.row); }
    if (error.field) { parts.push(error.field); }
    return parts.length ? parts.join(", ") + ": " : "";
  }

  // A problem (RFC 9457) as a title, sentences and a hint on what to do.
  function words(answer) {
    var problem = answer.json || {};
    var lines = [];
    if (problem.detail) { lines.push(problem.detail); }
    (problem.errors || []).forEach(function (error) {
      var line = where(error) + error.message;
      if (!problem.detail || problem.detail.indexOf(error.message) < 0) { lines.push(line); }
    });
    if (!lines.length) { lines.push("The service answered " + answer.status + " without details."); }
    return {title: problem.title || "The request failed (" + answer.status + ")", lines: lines,
            hint: HINTS[answer.status] || ""};
  }

  function showProblem(box, problem) {
    var heading = document.createElement("h2");
    heading.textContent = problem.title;
    var list = document.createElement("ul");
    problem.lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    box.replaceChildren(heading, list);
    if (problem.hint) {
      var hint = document.createElement("p");
      hint.textContent = problem.hint;
      box.appendChild(hint);
    }
    box.hidden = false;
    box.focus();
  }

  // The server renders a document (as the API answered it) with the report's templates.
  function render(url, payload) {
    return send("POST", url, JSON.stringify(payload), {contentType: "application/json", auth: false,
                                                       accept: "text/html"})
      .then(function (answer) {
        if (!ok(answer)) { throw Object.assign(new Error("render"), {problem: words(answer)}); }
        return answer.text;
      });
  }

  // A page's key field (decision 0041): filled from this tab, and "Forget the key" empties
  // both; ``said`` tells the page's status line what happened.
  function keyField(input, forget, said) {
    input.value = key();
    forget.addEventListener("click", function () {
      rememberKey("");
      input.value = "";
      said("The key is forgotten in this tab.");
      input.focus();
    });
  }

  window.CalculatorApi = {keyField: keyField, key: key, rememberKey: rememberKey, send: send, ok: ok, words: words, hints: HINTS,
                          showProblem: showProblem, render: render};
})();
