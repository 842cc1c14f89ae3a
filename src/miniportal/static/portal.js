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
  // Quizzes one question at a time: a progress bar, Back/Next, 1-9 pick a choice, Enter goes on (then submits).
  const quiz = document.querySelector("form#quiz-form");
  const steps = document.querySelector("#quiz-steps");
  const items = quiz ? [...quiz.querySelectorAll("fieldset.question")] : [];
  if (quiz && steps && items.length > 1) {
    let at = 0;
    const bar = steps.querySelector("#quiz-progress");
    const label = steps.querySelector("#quiz-step");
    const prev = steps.querySelector("#quiz-prev");
    const next = steps.querySelector("#quiz-next");
    const submit = quiz.querySelector("#quiz-submit");
    const show = (k) => {
      at = Math.max(0, Math.min(items.length - 1, k));
      items.forEach((item, i) => { item.hidden = i !== at; });
      bar.value = at + 1;
      label.textContent = steps.dataset.step.replace("{k}", at + 1).replace("{n}", items.length);
      prev.disabled = at === 0;
      next.hidden = at === items.length - 1;
      submit.hidden = at !== items.length - 1;
      // Focus moves with the question (a hidden element loses it, and the keys would go nowhere useful).
      const text = items[at].querySelector("input[type=text], input:not([type])");
      if (text) text.focus();
      else {
        items[at].tabIndex = -1;
        items[at].focus();
      }
    };
    steps.hidden = false;
    prev.addEventListener("click", () => show(at - 1));
    next.addEventListener("click", () => show(at + 1));
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target instanceof Element && event.target.closest("header, textarea, select")) return;
      const typing = event.target instanceof HTMLInputElement && !["radio", "checkbox"].includes(event.target.type);
      if (event.key === "Enter") {
        if (event.target instanceof HTMLButtonElement) return; // a focused button does its own thing
        event.preventDefault();
        if (at < items.length - 1) show(at + 1);
        else quiz.requestSubmit();
        return;
      }
      if (typing || !/^[1-9]$/.test(event.key)) return;
      const choice = items[at].querySelectorAll("input[type=radio], input[type=checkbox]")[Number(event.key) - 1];
      if (!choice) return;
      event.preventDefault();
      choice.checked = choice.type === "radio" ? true : !choice.checked;
    });
    show(0);
  }
});
