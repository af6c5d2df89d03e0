// The record page's "Print the record" button (shown only with JavaScript).
(function () {
  "use strict";
  var button = document.getElementById("print-record");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
