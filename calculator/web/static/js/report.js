// A stored record as a printable page: GET its API address with the reviewer's key,
// rendered by the server with the report's templates (docs/decisions/0041).
(function () {
  "use strict";
  var api = window.CalculatorApi;
  var root = document.getElementById("report");
  if (!root || !api) { return; }
  var problemBox = document.getElementById("problem"), keyForm = document.getElementById("key-form");
  var keyInput = document.getElementById("api-key"), printAction = document.getElementById("print-action");

  async function load() {
    problemBox.hidden = true;
    var answer = await api.send("GET", root.dataset.apiUrl);
    if (answer.status === 401) {
      keyForm.hidden = false;
      api.showProblem(problemBox, api.words(answer));
      keyInput.focus();
      return;
    }
    if (!api.ok(answer) || !answer.json) { api.showProblem(problemBox, api.words(answer)); return; }
    var doc = answer.json;
    // An assessment's report carries its chart, from the stored counts (GET .../curve).
    var curve = null;
    if (root.dataset.curveUrl) {
      var curveAnswer = await api.send("GET", root.dataset.curveUrl);
      if (api.ok(curveAnswer) && curveAnswer.json && curveAnswer.json.curve) { curve = curveAnswer.json.curve; }
    }
    var html = await api.render(root.dataset.renderUrl, {document: doc, view: root.dataset.view, curve: curve,
      record: {id: doc.id || root.dataset.recordId, created_at: doc.created_at, reference: doc.reference,
               url: window.location.href}});
    keyForm.hidden = true;
    root.innerHTML = html;
    if (chart) { chart.destroy(); }
    chart = window.CalculatorChart ? window.CalculatorChart.draw(root) : null;
    root.setAttribute("aria-busy", "false");
    printAction.hidden = false;
  }

  // The chart is drawn for the screen's width; redraw it at the paper's before printing.
  var chart = null;
  window.addEventListener("beforeprint", function () { if (chart) { chart.resize(); } });
  window.addEventListener("afterprint", function () { if (chart) { chart.resize(); } });

  function run() {
    load().catch(function (error) {
      api.showProblem(problemBox, error.problem ||
        {title: "The report could not be shown", lines: [error.message], hint: ""});
    });
  }

  keyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    api.rememberKey(keyInput.value.trim());
    run();
  });
  document.getElementById("print-button").addEventListener("click", function () { window.print(); });
  run();
})();
