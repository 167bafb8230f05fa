// Paints each matrix cell with the colour of the priority chosen in it.
(function () {
  "use strict";
  function paint(select) {
    const option = select.options[select.selectedIndex];
    const colour = option ? option.dataset.colour : "";
    const swatch = select.closest("td").querySelector(".matrix-swatch");
    swatch.style.backgroundColor = colour || "transparent";
    swatch.classList.toggle("matrix-swatch-empty", !colour);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#matrix-grid select").forEach(function (select) {
      paint(select);
      select.addEventListener("change", function () { paint(select); });
    });
  });
})();
