// The staff preview page: the queue stub a business pastes before the snippet, and buttons that
// call the widget's page API.
window.closeloop = window.closeloop || function () { (window.closeloop.q = window.closeloop.q || []).push(arguments); };
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-closeloop]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.dataset.closeloop;
      if (action === "reset") {
        Object.keys(window.localStorage).forEach(function (key) {
          if (key.indexOf("closeloop:") === 0) window.localStorage.removeItem(key);
        });
        button.textContent = "✓";
      } else if (action === "track") {
        window.closeloop("track", button.dataset.event);
      } else {
        window.closeloop(action);
      }
    });
  });
});
