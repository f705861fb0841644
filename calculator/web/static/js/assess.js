// The Assess page: send the log to POST /v1/assessments (stored: 201 with its Location),
// GET its stored curve, show progress and problems in words, then the server-rendered results
// and the chart of the trailing 24-hour count (docs/decisions/0040, 0041).
(function () {
  "use strict";
  var api = window.CalculatorApi;
  var form = document.getElementById("assess-form");
  if (!form || !api) { return; }
  var byId = document.getElementById.bind(document);
  var keyInput = byId("api-key"), button = byId("assess-button"), area = byId("progress-area");
  var status = byId("status"), bar = byId("progress"), elapsed = byId("elapsed");
  var problemBox = byId("problem"), results = byId("results");
  var timer = null, started = 0, chart = null;

  keyInput.value = api.key();
  byId("forget-key").addEventListener("click", function () {
    api.rememberKey("");
    keyInput.value = "";
    area.hidden = false;
    bar.hidden = true;
    status.textContent = "The key is forgotten in this tab.";
    keyInput.focus();
  });

  function size(bytes) {
    var units = ["bytes", "KiB", "MiB", "GiB"], value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (unit ? value.toFixed(1).replace(/\.0$/, "") : value) + " " + units[unit];
  }

  function stage(text, fraction) {
    area.hidden = false;
    bar.hidden = false;
    status.textContent = text;
    if (fraction == null) { bar.removeAttribute("value"); } else { bar.value = Math.round(fraction * 100); }
  }

  // The files chosen, as one log: named, and their total size.
  function chosen(files) {
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    return {size: total, several: files.length > 1,
            name: files.length === 1 ? files[0].name : files.length + " files of one log"};
  }

  function sending(step, file, waiting) {
    return {
      onUpload: function (fraction) {
        stage(step + ": sending " + file.name + " (" + size(file.size) + ")" +
              (fraction == null ? "…" : ", " + Math.round(fraction * 100) + "%"), fraction);
      },
      onSent: function () { stage(step + ": " + waiting, null); }
    };
  }

  function fail(problem) { throw Object.assign(new Error(problem.title), {problem: problem}); }

  // The service's size limits (bytes, after decompression), stated by the page: a file over
  // the size for an answer in the request is sent as a job (docs/decisions/0093-0095); a file
  // over the job limit is refused here, before a long upload that could only end in a 413.
  var maxBytes = Number(form.getAttribute("data-max-bytes")) || 0;
  var asyncAbove = form.hasAttribute("data-async-above") ?
    Number(form.getAttribute("data-async-above")) : null;
  var maxJobBytes = Number(form.getAttribute("data-max-job-bytes")) || 0;
  var cancelButton = byId("cancel-job"), cancelled = false, jobLocation = null;

  function tooLarge(file, limit) {
    fail({title: "The log is larger than this service accepts",
          lines: [file.name + (file.several ? " come to " : " is ") + size(file.size) +
                  "; this service accepts logs of up to " + size(limit) + " (" +
                  limit.toLocaleString("en") + " bytes)."],
          hint: api.hints[413]});
  }

  function wait(seconds) { return new Promise(function (done) { setTimeout(done, seconds * 1000); }); }

  function jobProgress(job) {
    var p = job.progress, words = {queued: "waiting for a worker", reading: "reading the log",
      assessing: "evaluating every reading of the clause", storing: "storing the assessment",
      ended: "finishing"};
    var text = "Step 1 of 2: assessed as a job, " + (words[job.phase] || job.phase);
    if (job.phase !== "queued") {
      text += ": " + size(p.bytes_read) + " of " + size(p.bytes_total) + " read (" + p.percent +
        "%), " + p.rows_read.toLocaleString("en") + " rows";
    }
    if (job.attempts > 1) { text += " (taken over by another worker)"; }
    stage(text + "…", job.phase === "queued" ? null : p.percent / 100);
  }

  // Follows a job until it ends: the assessment's location, or the job's problem.
  async function followJob(answer) {
    jobLocation = answer.location;
    cancelButton.hidden = false;
    var job = answer.json;
    while (true) {
      if (cancelled) { fail({title: "The assessment was cancelled", lines: [
        "Nothing was stored and the upload was deleted."], hint: ""}); }
      if (job && job.state === "done") { return job.assessment; }
      if (job && job.state === "failed") {
        fail(api.words({status: job.problem.status, json: job.problem}));
      }
      if (job && job.state === "cancelled") { cancelled = true; continue; }
      if (job) { jobProgress(job); }
      await wait(answer.retryAfter || 1);
      answer = await api.send("GET", jobLocation);
      if (!api.ok(answer)) { fail(api.words(answer)); }
      job = answer.json;
    }
  }

  cancelButton.addEventListener("click", function () {
    cancelled = true;
    cancelButton.disabled = true;
    if (jobLocation) { api.send("DELETE", jobLocation); }
  });

  async function run() {
    // Several files are sent as several parts named log: the service reads them as one log.
    var file = chosen(Array.prototype.slice.call(byId("log").files));
    var asJob = asyncAbove !== null &&
      (file.size > asyncAbove || (maxBytes > 0 && file.size > maxBytes));
    var limit = asJob ? maxJobBytes : maxBytes;
    if (limit && file.size > limit) { tooLarge(file, limit); }
    var data = new FormData(form);  // the key field has no name: it is never sent as a field
    ["format", "headline", "collected_from", "collected_to", "time_column", "posts_column",
     "post_id_column", "url_column", "platform_column"].forEach(function (name) {
      if (!data.get(name)) { data.delete(name); }  // empty: the API's default
    });

    var post = function (job) {
      var options = sending("Step 1 of 2", file, job ? "the log is kept; waiting for a worker…" :
                            "evaluating the log under every reading of the clause…");
      if (job) { options.headers = {"Prefer": "respond-async"}; }
      return api.send("POST", form.action, data, options);
    };
    var answer = await post(asJob);
    if (answer.status === 413 && !asJob && asyncAbove !== null && maxJobBytes > maxBytes) {
      answer = await post(true);  // over the request's limit once decompressed: as a job
    }
    if (answer.status === 202) {
      answer = {status: 201, location: await followJob(answer), json: null};
    }
    var location = answer.location;  // where the assessment is stored
    if (answer.status === 201 && !answer.json && location) {
      answer = await api.send("GET", location);  // a 201 that only says where it is
    }
    if (!api.ok(answer) || !answer.json) { fail(api.words(answer)); }
    var doc = answer.json;

    var curve = null, curveProblem = null;
    // The stored assessment's own counts draw the chart: the log is not sent again.
    stage("Step 2 of 2: counting the posts over time for the chart…", null);
    var curveAnswer = await api.send("GET", location + "/curve");
    if (api.ok(curveAnswer) && curveAnswer.json &&
        curveAnswer.json.input.sha256 === doc.input.sha256) {
      curve = curveAnswer.json.curve;
    } else {
      curveProblem = api.ok(curveAnswer) ? {title: "The chart could not be drawn",
        lines: ["The log changed between the two requests; assess it again."], hint: ""}
        : api.words(curveAnswer);
      curveProblem.title = "The chart could not be drawn: " + curveProblem.title;
    }

    stage("Showing the results…", null);
    var html = await api.render(form.dataset.renderUrl, {document: doc, curve: curve,
                                                         location: location, view: "results"});
    if (chart) { chart.destroy(); chart = null; }
    results.innerHTML = html;
    results.hidden = false;
    chart = window.CalculatorChart ? window.CalculatorChart.draw(results) : null;
    if (curveProblem) { api.showProblem(problemBox, curveProblem); }
    var seconds = Math.round((Date.now() - started) / 1000);
    status.textContent = "Done in " + seconds + " s: headline " +
      byId("headline-amount").textContent + ". The results follow.";
    bar.hidden = true;
    if (!curveProblem) { byId("results-heading").focus(); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) { return; }
    api.rememberKey(keyInput.value.trim());
    button.disabled = true;
    problemBox.hidden = true;
    results.hidden = true;
    started = Date.now();
    elapsed.textContent = "";
    timer = setInterval(function () {
      elapsed.textContent = Math.round((Date.now() - started) / 1000) + " s so far";
    }, 1000);
    run().catch(function (error) {
      area.hidden = true;
      api.showProblem(problemBox, error.problem ||
        {title: "The log could not be assessed", lines: [error.message], hint: ""});
      var said = error.problem ? error.problem.title + error.problem.lines.join(" ") : "";
      if (/API key/.test(said)) { keyInput.focus(); }
      if (/collection window/i.test(said)) { form.querySelector("details.more-options").open = true; }
    }).finally(function () {
      clearInterval(timer);
      elapsed.textContent = "";
      button.disabled = false;
      cancelButton.hidden = true;
      cancelButton.disabled = false;
      cancelled = false;
      jobLocation = null;
    });
  });
})();
