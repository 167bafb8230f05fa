// Link the call being logged to a likely duplicate: a click, or Alt+1…5.
(function () {
  const form = document.getElementById("new-incident");
  const parent = form.querySelector("input[name=parent]");
  const banner = document.getElementById("linked-banner");

  function show() {
    const chosen = form.querySelector(".link-dup[data-parent='" + parent.value + "']");
    banner.hidden = !parent.value;
    banner.textContent = parent.value
      ? "This call will be linked to " + (chosen ? chosen.dataset.reference : "the chosen incident") + ". Press the same key again to undo."
      : "";
    form.querySelectorAll(".link-dup").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.parent === parent.value));
    });
  }

  function toggle(button) {
    parent.value = parent.value === button.dataset.parent ? "" : button.dataset.parent;
    show();
  }

  form.addEventListener("click", function (event) {
    const button = event.target.closest(".link-dup");
    if (button) toggle(button);
  });
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !/^[1-5]$/.test(event.key)) return;
    const button = form.querySelectorAll(".link-dup")[Number(event.key) - 1];
    if (button) {
      event.preventDefault();
      toggle(button);
    }
  });
  document.body.addEventListener("htmx:afterSwap", show);
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
