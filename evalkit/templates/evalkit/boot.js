// Every chart is in the page as a static SVG already (drawn without JavaScript). Where
// scripts run, a single chart is drawn again with the inlined Vega-Embed (SVG renderer:
// tooltips), which then takes the static drawing's place; small multiples keep their
// static panels, which wrap to the screen's width. Each chart's spec is a JSON <script>
// beside its figure; the accessible table stays in the page, and is folded away once the
// chart is drawn.
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
  function drawn(figure) {
    figure.classList.add("ek-drawn");
    var details = figure.querySelector("details.ek-numbers");
    if (details) { details.removeAttribute("open"); }
  }
  var specs = document.querySelectorAll("script.ek-spec");
  Array.prototype.forEach.call(specs, function (node) {
    var target = document.getElementById(node.getAttribute("data-target"));
    var figure = target && target.closest("figure");
    if (figure && figure.querySelector(".ek-panels")) {
      drawn(figure);
      return;
    }
    if (!target || typeof vegaEmbed !== "function") { return; }
    var spec = JSON.parse(node.textContent);
    vegaEmbed(target, spec, {
      actions: false,
      renderer: "svg",
      formatLocale: locale.format,
      timeFormatLocale: locale.time,
      tooltip: { theme: "light" }
    }).then(function () {
      if (figure) { drawn(figure); }
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
