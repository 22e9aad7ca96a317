// Draws every evalkit chart on the page with the inlined Vega-Embed. Each chart's spec is
// a JSON <script> beside its figure; the accessible table stays in the page, and is
// folded away once the chart has been drawn.
(function () {
  "use strict";
  // Printed pages show every table of numbers.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.ek-numbers"), function (d) {
      d.setAttribute("open", "");
    });
  });
  var localeNode = document.getElementById("ek-locale");
  var locale = localeNode ? JSON.parse(localeNode.textContent) : {};
  var specs = document.querySelectorAll("script.ek-spec");
  Array.prototype.forEach.call(specs, function (node) {
    var target = document.getElementById(node.getAttribute("data-target"));
    if (!target || typeof vegaEmbed !== "function") { return; }
    var spec = JSON.parse(node.textContent);
    vegaEmbed(target, spec, {
      actions: false,
      renderer: "svg",
      formatLocale: locale.format,
      timeFormatLocale: locale.time,
      tooltip: { theme: "light" }
    }).then(function () {
      var figure = target.closest("figure");
      if (figure) {
        figure.classList.add("ek-drawn");
        var details = figure.querySelector("details.ek-numbers");
        if (details) { details.removeAttribute("open"); }
      }
      var svg = target.querySelector("svg");
      if (svg) {
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", node.getAttribute("data-label") || "");
      }
    }).catch(function (error) {
      target.setAttribute("data-error", String(error));
    });
  });
})();
