// Small progressive enhancements; every page works without this file.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // The language switch submits as soon as a language is picked.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    const select = form.querySelector("select");
    if (select) select.addEventListener("change", () => form.requestSubmit());
  }
  // Move focus to the first field in error after a failed submission.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
