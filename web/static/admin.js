// Administration pages: the running sum of a rubric's weights as they are typed.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const digits = { "٠": 0, "١": 1, "٢": 2, "٣": 3, "٤": 4, "٥": 5, "٦": 6, "٧": 7, "٨": 8, "٩": 9,
    "۰": 0, "۱": 1, "۲": 2, "۳": 3, "۴": 4, "۵": 5, "۶": 6, "۷": 7, "۸": 8, "۹": 9 };
  const western = (text) => text.trim().replace(/[٠-٩۰-۹]/g, (d) => String(digits[d]));
  for (const form of document.querySelectorAll("form[data-weights]")) {
    const output = form.querySelector("[data-weights-total]");
    const inputs = form.querySelectorAll("input[data-weight]");
    const update = () => {
      let total = 0;
      for (const input of inputs) {
        const value = western(input.value);
        if (!/^\d+$/.test(value)) { output.textContent = "?"; return; }
        total += Number(value);
      }
      output.textContent = String(total);
    };
    for (const input of inputs) input.addEventListener("input", update);
  }
});
