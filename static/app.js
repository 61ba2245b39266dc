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

// The find page's book button says how many times are chosen ("Book 3 tider"); without this it says "the chosen times".
document.querySelectorAll("form[data-chosen-count]").forEach((form) => {
  const button = form.querySelector(".pick-confirm button[value=book]");
  const plain = button.textContent;
  const show = () => {
    const count = form.querySelectorAll("input[type=radio]:checked").length;
    button.textContent = count === 0 ? plain : count === 1 ? button.dataset.one : button.dataset.many.replace("{num}", count);
  };
  form.addEventListener("change", show);
  form.addEventListener("reset", () => setTimeout(show));
  show();
});
