// The stored records page: GET /v1/assessments and GET /v1/reviews with the tab's key, each
// page of the list rendered by the server from the API's answer (docs/decisions/0041).
(function () {
  "use strict";
  var api = window.CalculatorApi;
  var form = document.getElementById("records-form");
  if (!form || !api) { return; }
  var byId = document.getElementById.bind(document);
  var keyInput = byId("api-key"), problemBox = byId("problem"), status = byId("status");
  var sections = [byId("assessments"), byId("reviews")];

  api.keyField(keyInput, byId("forget-key"), function (text) { status.textContent = text; });

  function firstPage(section) {
    var reference = byId("reference").value.trim();
    return section.dataset.apiUrl + "?page_size=20" +
      (reference ? "&reference=" + encodeURIComponent(reference) : "");
  }

  function fail(problem) { throw Object.assign(new Error(problem.title), {problem: problem}); }

  async function show(section, url) {
    var body = section.querySelector(".list-body");
    var answer = await api.send("GET", url);
    if (!api.ok(answer) || !answer.json) { fail(api.words(answer)); }
    body.innerHTML = await api.render(form.dataset.renderUrl,
                                      {document: answer.json, view: section.dataset.view});
    body.querySelectorAll("button[data-page-url]").forEach(function (button) {
      button.addEventListener("click", function () {
        var wanted = button.getAttribute("data-page-url");
        if (wanted.charAt(0) !== "/") { return; }  // only this service's own addresses
        show(section, wanted).catch(report);
      });
    });
    return answer.json.total;
  }

  function report(error) {
    api.showProblem(problemBox, error.problem ||
      {title: "The records could not be listed", lines: [error.message], hint: ""});
    var said = error.problem ? error.problem.title + error.problem.lines.join(" ") : "";
    if (/API key/.test(said)) { keyInput.focus(); }
  }

  function load() {
    problemBox.hidden = true;
    status.textContent = "Loading the stored records…";
    return Promise.all(sections.map(function (section) { return show(section, firstPage(section)); }))
      .then(function (totals) {
        status.textContent = totals[0] + " assessment" + (totals[0] === 1 ? "" : "s") + " and " +
          totals[1] + " review" + (totals[1] === 1 ? "" : "s") + " stored for this key.";
      })
      .catch(function (error) { status.textContent = ""; report(error); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    api.rememberKey(keyInput.value.trim());
    load();
  });
  load();
})();
