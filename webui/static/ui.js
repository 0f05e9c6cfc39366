// hookline web UI: small enhancements over pages that work without
// JavaScript. Each form still posts to the server, which renders the
// result; this script only spares round trips where it helps.
"use strict";

document.documentElement.classList.replace("no-js", "js");

document.addEventListener("DOMContentLoaded", () => {
  // Forms whose fields depend on a choice (a connection's type, a
  // campaign's, a channel's mode) show the chosen kind's fields only.
  // Without this script every kind shows, and only the chosen kind's
  // fields are read by the server.
  for (const kind of document.querySelectorAll(".switch-kind[data-switch]")) {
    const form = kind.closest("form");
    const picker = form && form.querySelector(`select[name="${CSS.escape(kind.dataset.switch)}"]`);
    if (!picker) {
      continue;
    }
    const show = () => kind.classList.toggle("current", kind.dataset.kind === picker.value);
    picker.addEventListener("change", show);
    show();
  }

  // Links that open a dialog (an integration's campaigns) open it in
  // place; without this script they lead to the page that lists the same.
  // The dialog is modal: the keyboard stays in it, Escape and its Close
  // button close it, and the focus goes back to the link.
  for (const link of document.querySelectorAll("a[data-dialog]")) {
    const dialog = document.getElementById(link.dataset.dialog);
    if (!dialog || typeof dialog.showModal !== "function") {
      continue;
    }
    link.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
    });
    dialog.addEventListener("close", () => link.focus());
  }

  // Values to copy (URLs, secrets shown once) are selected whole when
  // they get the focus, and get a Copy button where the browser lets the
  // page write to the clipboard (https, or localhost).
  for (const input of document.querySelectorAll("input.copy")) {
    input.addEventListener("focus", () => input.select());
    if (!navigator.clipboard || !window.isSecureContext) {
      continue;
    }
    const label = document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button small";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + (label ? label.textContent.trim() : input.getAttribute("aria-label") || "the value"));
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        button.textContent = "Copied";
      } catch {
        input.select();
      }
    });
    const wrap = document.createElement("div");
    wrap.className = "copy-wrap";
    input.replaceWith(wrap);
    wrap.append(input, button);
  }

  // On a narrow screen the navigation scrolls sideways: the current
  // section is brought into its view.
  const current = document.querySelector('.top nav a[aria-current="page"]');
  const nav = current && current.closest("nav");
  const centre = () => {
    if (nav.scrollWidth > nav.clientWidth) {
      const left = current.getBoundingClientRect().left - nav.getBoundingClientRect().left + nav.scrollLeft;
      nav.scrollLeft = left - (nav.clientWidth - current.offsetWidth) / 2;
    }
  };
  if (nav) {
    centre();
    window.addEventListener("resize", centre);
  }

  const builder = document.querySelector("form.builder");
  if (!builder) {
    return;
  }

  // Authentication: show the fields of the chosen kind only. Without this
  // script every kind's fields show, and only the chosen kind's are sent.
  const authType = builder.querySelector("[name='auth.type']");
  const showAuth = () => {
    for (const kind of builder.querySelectorAll(".auth-kind")) {
      kind.classList.toggle("current", kind.dataset.auth === authType.value);
    }
  };
  if (authType) {
    authType.addEventListener("change", showAuth);
    showAuth();
  }

  // Context values: when the URL changes, ask the server which {{names}}
  // it needs and swap the section in. The server reads the URL the same
  // way it does on save, so the two never disagree.
  const url = builder.querySelector("[name='url']");
  const holder = document.getElementById("context-values");
  let asked = 0;
  const refresh = async () => {
    const n = ++asked;
    const body = new URLSearchParams(new FormData(builder));
    body.delete("op");
    try {
      const res = await fetch(builder.dataset.contextValues, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      if (!res.ok || n !== asked) {
        return;
      }
      const next = document.createElement("div");
      next.innerHTML = await res.text();
      const names = (root) => Array.from(root.querySelectorAll("input")).map((i) => i.name).join(",");
      if (names(next) === names(holder) && next.querySelector(".error") === null && holder.querySelector(".error") === null) {
        return;
      }
      // What was typed meanwhile stays.
      for (const input of next.querySelectorAll("input")) {
        const now = holder.querySelector(`input[name="${CSS.escape(input.name)}"]`);
        if (now) {
          input.value = now.value;
        }
      }
      holder.replaceChildren(...next.childNodes);
    } catch {
      // The "Update context values" button of the page still works.
    }
  };
  if (url && holder && builder.dataset.contextValues) {
    let timer;
    url.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    url.addEventListener("change", refresh);
  }

  // After a run, bring the result into view and focus it, so that a
  // keyboard or screen reader user lands on it.
  const result = document.getElementById("result");
  if (result && location.hash === "#result") {
    result.focus();
  }
});
