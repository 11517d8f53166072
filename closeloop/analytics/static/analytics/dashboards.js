// Dashboards: draw each widget's chart with plotly from the JSON figure next to it. Progressive
// enhancement only: every widget already shows its numbers in a table, which stays one click away
// (folded under "The numbers") once the chart is drawn. No inline script: the figure is a
// <script type="application/json"> block that is never executed.
//
// On a printable report (<body data-report>) every widget is already on the page: the tables stay
// unfolded (n and margins on paper), and "Print or save as PDF" waits until every chart is drawn.
(function () {
  "use strict";

  function isReport() {
    return document.body && document.body.hasAttribute("data-report");
  }

  // Draw the charts under `root`; a promise that settles when every one of them is drawn (or
  // could not be: its table is there anyway).
  function draw(root) {
    if (!window.Plotly || !root || !root.querySelectorAll) return Promise.resolve();
    var pending = [];
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var figure;
      try {
        figure = JSON.parse(source.textContent);
      } catch (error) {
        return;
      }
      el.dataset.drawn = "pending";
      var report = isReport();
      // A report is laid out at the width of the printed page: charts keep the size they are
      // drawn at, so paper and screen match.
      var config = {
        responsive: !report,
        displayModeBar: false,
        staticPlot: report,
        locale: document.documentElement.lang || "en",
      };
      pending.push(
        window.Plotly.newPlot(el, figure.data, figure.layout, config).then(
          function () {
            el.dataset.drawn = "yes";
            el.classList.add("drawn");
            if (report) return;
            var widget = el.closest(".widget");
            var numbers = widget && widget.querySelector("details[data-numbers]");
            if (numbers) numbers.open = false;
          },
          function () {
            el.dataset.drawn = "failed";
          }
        )
      );
    });
    return Promise.all(pending);
  }

  function failed(event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.classList || !target.classList.contains("widget")) return;
    target.removeAttribute("aria-busy");
    var loading = target.querySelector(".widget-loading");
    if (loading) {
      loading.textContent = target.closest("[data-failed-text]")
        ? target.closest("[data-failed-text]").dataset.failedText
        : "This widget could not be loaded. Reload the page to try again.";
      loading.classList.add("error");
    }
  }

  // The report: show the print button, say when the charts are drawn, and print only then.
  function setUpReport(drawn) {
    var button = document.querySelector("[data-print]");
    var status = document.querySelector("[data-report-status]");
    var ready = false;
    var wanted = false;
    if (button) button.hidden = false;
    if (status) status.textContent = status.dataset.waiting || "";
    drawn.then(function () {
      ready = true;
      document.body.dataset.chartsReady = "yes";
      if (status) status.textContent = status.dataset.ready || "";
      if (button) button.disabled = false;
      if (wanted) window.print();
    });
    if (!button) return;
    button.addEventListener("click", function () {
      if (ready) {
        window.print();
      } else {
        wanted = true;
        button.disabled = true;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var drawn = draw(document);
    if (isReport()) {
      // every <details> open on paper (the metric cards' two periods and the counts too)
      document.querySelectorAll(".report details").forEach(function (d) { d.open = true; });
      setUpReport(drawn);
    }
  });
  // htmx fires htmx:load on every piece of content it swaps in (each lazy widget).
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
