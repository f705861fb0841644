// The review form: the fields as a usage profile (docs/decisions/0030), sent to POST /v1/reviews
// with the tab's key; the stored review is shown as the server renders it, with its report link.
(function () {
  "use strict";
  var api = window.CalculatorApi;
  var form = document.getElementById("review-form");
  if (!form || !api) { return; }
  var byId = document.getElementById.bind(document);
  var keyInput = byId("api-key"), button = byId("review-button"), area = byId("progress-area");
  var status = byId("status"), problemBox = byId("problem"), results = byId("results");

  api.keyField(keyInput, byId("forget-key"), function (text) {
    area.hidden = false;
    status.textContent = text;
  });

  function checked(name) {
    return Array.prototype.map.call(form.querySelectorAll("input[name='" + name + "']:checked"),
                                    function (box) { return box.value; });
  }

  // The profile, as the API reads it: empty optional fields are left out (its defaults).
  function profile() {
    var data = new FormData(form);
    var body = {
      platform: data.get("platform"), region: data.get("region"),
      period: {start: data.get("period.start"), end: data.get("period.end")},
      channel: data.get("channel"),
      volume: {posts_per_day: Number(data.get("volume.posts_per_day"))},
      purposes: checked("purposes"), data_categories: checked("data_categories"),
      user_regions: checked("user_regions")
    };
    var optedOut = data.get("opted_out_users_excluded");
    if (optedOut) { body.opted_out_users_excluded = optedOut === "true"; }
    ["retention", "reference"].forEach(function (name) {
      var value = (data.get(name) || "").trim();
      if (value) { body[name] = value; }
    });
    return body;
  }

  function fail(problem) { throw Object.assign(new Error(problem.title), {problem: problem}); }

  async function run() {
    area.hidden = false;
    status.textContent = "Reviewing the profile against the terms in force…";
    var answer = await api.send("POST", form.action, JSON.stringify(profile()),
                                {contentType: "application/json"});
    var location = answer.location;
    if (answer.status === 201 && !answer.json && location) { answer = await api.send("GET", location); }
    if (!api.ok(answer) || !answer.json) {
      var problem = api.words(answer);
      if (answer.status === 422) { problem.hint = "Correct each field named above, then review again."; }
      fail(problem);
    }
    var doc = answer.json;
    var html = await api.render(form.dataset.renderUrl, {document: doc, location: location,
      view: "review-results", record: {id: doc.id, created_at: doc.created_at}});
    results.innerHTML = html;
    results.hidden = false;
    var summary = doc.summary || {};
    status.textContent = "Done: " + (summary.high || 0) + " high, " + (summary.warning || 0) +
      " warning findings. The review follows.";
    byId("results-heading").focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) { return; }
    if (!checked("purposes").length || !checked("data_categories").length) {
      api.showProblem(problemBox, {title: "The profile is not complete",
        lines: ["Choose at least one purpose and at least one kind of data collected."], hint: ""});
      return;
    }
    api.rememberKey(keyInput.value.trim());
    button.disabled = true;
    problemBox.hidden = true;
    results.hidden = true;
    run().catch(function (error) {
      area.hidden = true;
      api.showProblem(problemBox, error.problem ||
        {title: "The profile could not be reviewed", lines: [error.message], hint: ""});
      var said = error.problem ? error.problem.title + error.problem.lines.join(" ") : "";
      if (/API key/.test(said)) { keyInput.focus(); }
    }).finally(function () { button.disabled = false; });
  });
})();
