// The ipywidgets html-manager typesets widget labels through MathJax 2's
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book serves MathJax 3,
// which has no Hub, so every widget label threw "reading 'Queue'". This gives whatever
// object window.MathJax holds (the configuration before MathJax loads, MathJax itself
// after) a Hub whose Queue forwards to MathJax 3's typesetPromise.
(function () {
  "use strict";
  var hub = {
    Queue: function (job) {
      var mathjax = window.MathJax;
      if (!mathjax || typeof mathjax.typesetPromise !== "function") return;
      var element = Array.isArray(job) ? job[2] : undefined;
      mathjax.typesetPromise(element ? [element] : undefined).catch(function () {});
    },
  };
  var current = window.MathJax || {};
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) value.Hub = hub;
    return value;
  }
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
  withHub(current);
})();
