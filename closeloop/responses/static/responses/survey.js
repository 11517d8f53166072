// Optional: the survey page works without it. Ignore a second submit of the same form and
// move focus to the error summary when a page comes back with errors.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.hasAttribute("data-guard")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
});
addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sent]").forEach((f) => delete f.dataset.sent);
  const summary = document.querySelector(".summary");
  if (summary && document.activeElement !== summary) summary.focus();
});
