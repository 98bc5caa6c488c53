// The copy-to-clipboard buttons of the pages: a button `data-copy="ID"` copies the value of the
// field ID. Without JavaScript the buttons stay hidden and the field can be selected and copied.
"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
  if (!field) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      field.select();
      copied = document.execCommand("copy");
    }
    if (status) {
      status.textContent = copied
        ? "Jeton copié dans le presse-papiers."
        : "Copie impossible : sélectionnez le jeton et copiez-le (Ctrl+C).";
    }
  });
}
