// Choosing a recommended resource preselects the channel the rules give for it.
document.addEventListener("change", (event) => {
  const radio = event.target;
  if (radio.name !== "resource" || !radio.closest("#dispatch-form")) return;
  const channel = radio.dataset.channel;
  if (channel) document.getElementById("id_channel").value = channel;
});
