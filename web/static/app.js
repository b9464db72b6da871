// Small progressive enhancements; every page works without this file.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // The language switch submits as soon as a language is picked.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    const select = form.querySelector("select");
    if (select) select.addEventListener("change", () => form.requestSubmit());
  }
  // Phones: the navigation folds behind a Menu button (without this script it stays open).
  const toggle = document.querySelector(".menu-toggle");
  const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        menu.classList.remove("open");
        toggle.focus();
      }
    });
  }
  // Application forms: the commune list shows only the communes of the province chosen (the
  // server checks the pair anyway). Groups are matched by label: both lists use the same names.
  const province = document.getElementById("f-province");
  const commune = document.getElementById("f-commune");
  if (province && commune && commune.querySelector("optgroup")) {
    const filterCommunes = () => {
      const chosen = province.value ? province.selectedOptions[0].text.trim() : "";
      for (const group of commune.querySelectorAll("optgroup")) {
        const other = chosen !== "" && group.label.trim() !== chosen;
        group.hidden = other;
        group.disabled = other;
      }
      const picked = commune.selectedOptions[0];
      if (picked && picked.parentElement.disabled) commune.value = "";
    };
    province.addEventListener("change", filterCommunes);
    filterCommunes();
  }
  // A wide table that scrolls inside its box (on a phone) must be reachable by keyboard: make the
  // box focusable and name it after the table's caption, only while it actually overflows.
  const scrollers = document.querySelectorAll(".table-scroll:not([tabindex])");
  const markScrollable = () => {
    for (const box of scrollers) {
      const wide = box.scrollWidth > box.clientWidth + 1;
      const caption = box.querySelector("caption");
      if (wide) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (caption) box.setAttribute("aria-label", caption.textContent.trim());
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  if (scrollers.length) {
    markScrollable();
    window.addEventListener("resize", markScrollable);
  }
  // Move focus to the first field in error after a failed submission.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
