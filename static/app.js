// Small enhancements; every page works without them.
document.querySelectorAll("[data-copy]").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.querySelector(button.dataset.copy);
    await navigator.clipboard.writeText(field.value);
    const note = button.parentElement.querySelector("[data-copied]");
    if (note) note.hidden = false;
  });
});
