// "Copy link" buttons: data-copy names the input whose value is copied.
// Without JavaScript the link stays selectable in its read-only field.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select and copy the link";
  }
});
