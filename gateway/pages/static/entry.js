// The entry tool's form checked as the producer types: after a change, the form is sent to the
// gateway's check (the rules of the ingest, nothing saved) and each field the producer has
// filled shows what is wrong with it. Without JavaScript the form is checked when it is sent.
"use strict";
const form = document.querySelector("form[data-check]");
if (form) {
  const live = document.getElementById("live-check");
  const touched = new Set();
  let timer = null;
  let asked = 0;

  const slot = (name) => {
    const id = `${name}-error`;
    let p = document.getElementById(id);
    if (!p) {
      const field = document.getElementById(name);
      if (!field) return null;
      p = document.createElement("p");
      p.className = "field-error";
      p.id = id;
      p.hidden = true;
      (field.closest("fieldset.choices") || field.closest(".field") || field.parentElement).append(p);
      const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (!described.includes(id)) field.setAttribute("aria-describedby", [...described, id].join(" "));
    }
    return p;
  };

  const show = (errors) => {
    let shown = 0;
    for (const name of touched) {
      const p = slot(name);
      if (!p) continue;
      const message = errors[name];
      p.textContent = message || "";
      p.hidden = !message;
      const field = document.getElementById(name);
      if (field && field.tagName !== "FIELDSET") {
        if (message) field.setAttribute("aria-invalid", "true");
        else field.removeAttribute("aria-invalid");
      }
      if (message) shown += 1;
    }
    if (live) {
      live.textContent = shown
        ? live.dataset.errors.replace("{n}", String(shown))
        : live.dataset.ok;
    }
  };

  const check = async () => {
    const mine = ++asked;
    try {
      const response = await fetch(form.dataset.check, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
      });
      if (!response.ok || mine !== asked) return;
      show((await response.json()).errors || {});
    } catch {
      // the check on sending the form still applies
    }
  };

  form.addEventListener("change", (event) => {
    const target = event.target;
    const group = target.closest("fieldset.choices");
    touched.add(group ? group.id : target.name);
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
}
