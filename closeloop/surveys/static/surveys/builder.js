// Survey builder enhancements; every action also works as a plain form post without them.
// - keep the keyboard focus on the same control after htmx swaps the builder,
// - drag and drop questions (native HTML5 drag API) and post the new order,
// - switch the preview frame between phone and desktop widths.
(() => {
  "use strict";
  let focusId = null;

  document.addEventListener("htmx:beforeRequest", () => {
    const active = document.activeElement;
    focusId = active && active.id ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", () => {
    const again = focusId && document.getElementById(focusId);
    focusId = null;
    if (again) {
      again.focus();
      return;
    }
    const field = document.querySelector("#builder .q-editor textarea, #builder .q-editor input[type=text]");
    if (field) {
      field.focus();
      return;
    }
    const status = document.getElementById("builder-status");
    if (status) status.focus();
  });

  // --- drag and drop -------------------------------------------------------------------
  let dragged = null;
  let before = "";

  const order = () => {
    const result = {};
    document.querySelectorAll("#builder .question-list[data-page]").forEach((list) => {
      result[list.dataset.page] = Array.from(list.querySelectorAll(":scope > .question-card")).map(
        (card) => card.dataset.key,
      );
    });
    return JSON.stringify(result);
  };

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".question-card[draggable=true]");
    if (!card) return;
    dragged = card;
    before = order();
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.key);
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const list = event.target.closest && event.target.closest(".question-list[data-page]");
    if (!list) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const card = event.target.closest(".question-card");
    if (!card) {
      if (!list.querySelector(".question-card")) list.appendChild(dragged);
      return;
    }
    if (card === dragged) return;
    const box = card.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? card.nextSibling : card);
  });

  document.addEventListener("drop", (event) => {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    const now = order();
    if (now === before) return;
    const form = document.getElementById("reorder-form");
    if (!form) return;
    form.elements.order.value = now;
    form.elements.moved.value = card.dataset.key;
    focusId = null;
    form.requestSubmit();
  });

  // --- preview sizes -------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-preview-width]");
    if (!button) return;
    const frame = document.getElementById("preview-frame");
    if (!frame) return;
    event.preventDefault();
    const width = button.dataset.previewWidth;
    frame.classList.remove("w390", "w1024");
    frame.classList.add(`w${width}`);
    document.querySelectorAll("[data-preview-width]").forEach((other) => {
      other.setAttribute("aria-pressed", String(other === button));
    });
  });
})();
