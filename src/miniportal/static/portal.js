// Lynx Cortex portal: progressive enhancements only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions (delete a note, disable an account).
  for (const form of document.querySelectorAll("form.confirm")) {
    form.addEventListener("submit", (event) => {
      const lang = document.documentElement.lang;
      if (!window.confirm(lang === "es" ? "¿Seguro?" : "Are you sure?")) event.preventDefault();
    });
  }
  // Opening a note editor focuses its text box.
  for (const details of document.querySelectorAll("details.note-add, details.note-edit")) {
    details.addEventListener("toggle", () => {
      if (details.open) details.querySelector("textarea")?.focus();
    });
  }
  // Ctrl/Cmd+Enter submits the form a textarea belongs to.
  for (const area of document.querySelectorAll("textarea")) {
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) area.form?.requestSubmit();
    });
  }
});
