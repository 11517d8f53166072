// Cases: "select all" for bulk assignment; everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      const name = box.dataset.selectAll;
      box.form.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((el) => {
        el.checked = box.checked;
      });
    });
  });
});
