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
  // Review like Anki: Space reveals the answer (the <details> is the no-JS path), then 1-4 press the grades.
  const reveal = document.querySelector("details#review-reveal");
  const grades = document.querySelectorAll(".grade-buttons button[data-key]");
  if (grades.length) {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
      const target = event.target;
      if (target instanceof HTMLElement && target.closest("input, textarea, select")) return;
      if (event.key === " ") {
        // A focused <summary> toggles itself on Space; anywhere else, Space only ever opens.
        if (reveal && !reveal.open && !(target instanceof HTMLElement && target.closest("summary"))) {
          event.preventDefault();
          reveal.open = true;
        }
        return;
      }
      const pick = [...grades].find((b) => b.dataset.key === event.key);
      if (pick && (!reveal || reveal.open)) {
        event.preventDefault();
        pick.click();
      }
    });
  }
});
