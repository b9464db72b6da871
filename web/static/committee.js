// Committee workspace: the live weighted total on the scoring page, and the live queue.
// Both are enhancements: without this file the pages work and the server computes the score.
"use strict";

// Mirrors domain/rubrics.py weighted_score: round_half_up(sum(w*s) * 10000 / (5 * sum(w))),
// in hundredths of a point, with integers only.
function weightedTotal(form) {
  const max = Number(form.dataset.scaleMax || 5);
  let weights = 0, weighted = 0, complete = true;
  for (const input of form.querySelectorAll("input[data-weight]")) {
    const weight = Number(input.dataset.weight);
    const text = input.value.trim();
    const value = Number(text);
    weights += weight;
    if (text === "" || !Number.isInteger(value) || value < 0 || value > max) {
      complete = false;
      continue;
    }
    weighted += weight * value;
  }
  if (!weights) return null;
  const numerator = weighted * 10000, denominator = max * weights;
  const hundredths = Math.floor((2 * numerator + denominator) / (2 * denominator));
  return { hundredths, complete };
}

function showTotal(form) {
  const output = form.querySelector("[data-score-total]");
  const total = weightedTotal(form);
  if (!output || !total) return;
  // the decimal mark of the page's language, as the server writes every other number
  const points = Math.floor(total.hundredths / 100) + (form.dataset.decimal || ".") +
    String(total.hundredths % 100).padStart(2, "0");
  output.value = total.complete ? points : points + " (" + output.dataset.incomplete + ")";
  output.textContent = output.value;
}

function liveScore() {
  for (const form of document.querySelectorAll("form[data-score-form]")) {
    form.addEventListener("input", () => showTotal(form));
    showTotal(form);
  }
}

// Refresh the queue table when the server says the review queue moved on.
function liveQueue() {
  const results = document.querySelector("[data-live-queue]");
  const status = document.getElementById("queue-status");
  if (!results || !("EventSource" in window)) return;
  const source = new EventSource("/committee/events");
  let busy = false;
  source.addEventListener("queue", async () => {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("[data-live-queue]");
      // Do not pull the table from under someone working in it: wait for the next event.
      if (fresh && !results.contains(document.activeElement)) {
        results.innerHTML = fresh.innerHTML;
        if (status) status.textContent = status.dataset.updatedText;
      }
    } finally {
      busy = false;
    }
  });
  window.addEventListener("pagehide", () => source.close());
}

// A decisive form sends once: its button is disabled on the first submit (the server's
// idempotency key makes a second request harmless anyway), and Enter in a one-line field never
// sends it: the decision is taken with its button only.
function decisiveForms() {
  for (const form of document.querySelectorAll("form[data-decisive]")) {
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target instanceof HTMLInputElement) event.preventDefault();
    });
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    });
  }
  // Back to a page kept in the browser's cache: its buttons work again.
  window.addEventListener("pageshow", () => {
    for (const button of document.querySelectorAll("form[data-decisive] button")) button.disabled = false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  liveScore();
  liveQueue();
  decisiveForms();
});
